"""Sample data for every URL parameter, so tests can visit every route in the URL map."""
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from accounts.users import make_reset_token
from course.content.store import current_catalogue
from course.core.extensions import db
from quizzes.reading import record_module_read
from quizzes.attempts import start_attempt
from reports.models import ReportRecord
from tests.factories import app_settings, complete_course, make_certificate, make_report_batch, make_user, submit_evaluation

ROLES = ("anonymous", "owner", "other_learner", "instructor", "admin")


@dataclass
class World:
    """An owner who read the first objective's module, with an open quiz attempt, a completion, an evaluation and a
    certificate; another learner; an instructor; an administrator."""

    users: dict
    owner_id: int
    attempt_id: int
    certificate_id: int
    certificate_code: str
    reset_token: str
    batch_id: int
    record_id: int

    def params(self, rule) -> dict:
        samples = {
            "slug": "sample-course", "module_id": "second-objective", "objective_id": "first-objective",
            "approval_id": "ancc", "attempt_id": self.attempt_id, "certificate_id": self.certificate_id,
            "code": self.certificate_code, "token": self.reset_token, "user_id": self.owner_id,
            "regulator": "pars", "batch_id": self.batch_id, "record_id": self.record_id, "name": "pars.txt",
            "number": 0,
        }
        missing = set(rule.arguments) - set(samples)
        assert not missing, f"{rule.endpoint}: no sample value for {missing}; add one in tests/routes.py"
        return {name: samples[name] for name in rule.arguments}


def build_world(app) -> World:
    course = current_catalogue().courses["sample-course"]
    users = {
        "owner": make_user(email="owner@example.org", profession="nurse", licences=[("AL", "RN-1")]),
        "other_learner": make_user(email="other@example.org"),
        "instructor": make_user(email="instructor@example.org", role="instructor"),
        "admin": make_user(email="admin@example.org", role="admin"),
    }
    owner = users["owner"]
    record_module_read(db.session, owner.id, course.slug, "first-objective")
    attempt = start_attempt(db.session, owner.id, course, "first-objective", datetime.now(UTC))
    db.session.commit()
    complete_course(owner)
    submit_evaluation(owner)
    certificate = make_certificate(owner, approval_id="ancc", code="C" * 32)
    token = make_reset_token(owner, app.config["SECRET_KEY"])
    batch = make_report_batch("pars")
    record_id = db.session.scalar(select(ReportRecord.id).where(ReportRecord.batch_id == batch.id))
    return World({role: user.email for role, user in users.items()}, owner.id, attempt.id, certificate.id,
                 certificate.code, token, batch.id, record_id)


def routes(app):
    """Every rule of the app except static files."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def blueprint_rules(blueprint: str) -> list:
    """One blueprint's routes, read from a throwaway app's URL map (at collection time, for parametrize)."""
    from course import create_app

    app = create_app(app_settings(SQLALCHEMY_DATABASE_URI="sqlite://"))
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(blueprint + ".")), key=str)
