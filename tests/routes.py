"""Sample data for every URL parameter, so tests can visit every route in the URL map."""
from dataclasses import dataclass
from datetime import UTC, datetime

from course.accounts import make_reset_token
from course.content import catalogue
from course.extensions import db
from course.progress import record_module_read
from credits.models import Certificate
from quizzes.attempts import start_attempt
from tests.factories import complete_course, make_user, submit_evaluation

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

    def params(self, rule) -> dict:
        samples = {
            "slug": "sample-course", "module_id": "second-objective", "objective_id": "first-objective",
            "approval_id": "ancc", "attempt_id": self.attempt_id, "certificate_id": self.certificate_id,
            "code": self.certificate_code, "token": self.reset_token, "user_id": self.owner_id,
        }
        missing = set(rule.arguments) - set(samples)
        assert not missing, f"{rule.endpoint}: no sample value for {missing}; add one in tests/routes.py"
        return {name: samples[name] for name in rule.arguments}


def build_world(app) -> World:
    course = catalogue().courses["sample-course"]
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
    certificate = Certificate(
        user_id=owner.id, course_slug=course.slug, approval_id="ancc", content_version="test",
        code="C" * 32, learner_name=owner.name, course_title=course.title, course_format=course.format,
        provider_name="Sample CE Provider", provider_address="1 Test Street", completion_date=datetime(2025, 7, 29).date(),
        amount=1, unit="contact hour", approval_body="ANCC", statement="Accredited.",
    )
    db.session.add(certificate)
    db.session.commit()
    token = make_reset_token(owner, app.config["SECRET_KEY"])
    return World({role: user.email for role, user in users.items()}, owner.id, attempt.id, certificate.id,
                 certificate.code, token)


def routes(app):
    """Every rule of the app except static files."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
