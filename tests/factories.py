"""Test data, made through the functions the app uses: users, signed-in clients, quiz attempts
(graded by quizzes.rules.grade), completions, evaluations and certificates (PDF drawn)."""
import atexit
import hashlib
import re
import shutil
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
import threading
from itertools import count
from pathlib import Path

from sqlalchemy import func, select

from accounts.models import User
from accounts.users import ProfileData, register_user, split_full_name, update_profile
from course.core.extensions import db
from credits.certificates import draw_pdf, new_code
from credits.models import Certificate, EvaluationResponse
from quizzes.models import CourseCompletion, QuizAttempt
from quizzes.rules import QuestionSnapshot, ReferenceSnapshot, grade

DEFAULT_PASSWORD = "correct horse battery"
COURSE = "sample-course"
COMPLETED_ON = date(2025, 7, 29)
# approval id -> (body, unit) as in tests/fixtures/content/provider.yaml and the sample course.
APPROVALS = {
    "ama-pra": ("Accreditation Council for Continuing Medical Education (ACCME)", "AMA PRA Category 1 Credit™"),
    "ancc": ("American Nurses Credentialing Center (ANCC)", "contact hour"),
    "ipce": ("Joint Accreditation for Interprofessional Continuing Education (IPCE credit)", "IPCE credit"),
    "moc-abim": ("American Board of Internal Medicine (ABIM) Maintenance of Certification (MOC)", "ABIM MOC point"),
}
_serial = count(1)
FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
# Fast Argon2 for the suite (production's parameters are tested on their own, in test_sessions_and_passwords).
CHEAP_PASSWORD_HASHING = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


# Stored content snapshots of the suite's apps, one folder per content folder, outside the project.
SNAPSHOTS = Path(tempfile.mkdtemp(prefix="ce-test-snapshots-"))
atexit.register(shutil.rmtree, SNAPSHOTS, True)
# A fixed Open Badges signing key (a Multikey secret key), so tests never write one into instance/.
TEST_BADGE_KEY = "z3u2abcpi1M6SZWQ15hBnuebyFzYpXPBhGpFALjFg5N4ZMSG"


def app_settings(**overrides) -> dict:
    """Settings for an app made by a test: the suite's defaults, then `overrides`."""
    content = Path(overrides.get("CONTENT_DIR", FIXTURE_CONTENT))
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "BASE_URL": "http://localhost",
        "CONTENT_DIR": str(FIXTURE_CONTENT),
        "CONTENT_SNAPSHOT_DIR": str(SNAPSHOTS / hashlib.sha256(str(content.resolve()).encode()).hexdigest()[:16]),
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASH_PARAMETERS": CHEAP_PASSWORD_HASHING,
        "BADGE_SIGNING_KEY": TEST_BADGE_KEY,
        **overrides,
    }


# --- Users and signed-in clients -----------------------------------------------------------


def make_user(
    *, email: str | None = None, name: str = "Pat Example", password: str = DEFAULT_PASSWORD,
    role: str = "learner", profession: str | None = "physician", licences=(), board_ids=(),
    birth_month: int | None = None, birth_day: int | None = None,
    first_name: str | None = None, last_name: str | None = None,
) -> User:
    """A registered user; first and last name are split from `name` unless given.

    `licences` are (state, licence type, number), or (state, number) for a licence of no stated type.
    """
    email = email or f"learner{next(_serial)}@example.org"
    if first_name is None or last_name is None:
        first_name, last_name = split_full_name(name)
    user = register_user(db.session, name=name, first_name=first_name, last_name=last_name, email=email,
                         password=password, role=role)
    if profession:
        update_profile(db.session, user, ProfileData(
            name=name, first_name=first_name, last_name=last_name, profession=profession,
            licences=[licence if len(licence) == 3 else (licence[0], None, licence[1]) for licence in licences],
            board_ids=list(board_ids),
            birth_month=birth_month, birth_day=birth_day,
        ))
    db.session.commit()
    return user


def csrf_token(client, url: str) -> str:
    """The CSRF token from the form on the page at `url`."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """POST `data` to `url` with a valid CSRF token taken from the form page."""
    payload = {"csrf_token": csrf_token(client, form_url or url), **data}
    return client.post(url, data=payload, **kwargs)


def sign_in(client, email: str, password: str = DEFAULT_PASSWORD):
    response = post_form(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def sign_in_as(client, role: str, email: str | None = None, name: str = "Ada Admin") -> User:
    user = make_user(role=role, email=email, name=name)
    sign_in(client, user.email)
    return user


# --- Quizzes ------------------------------------------------------------------------------


def quiz_answers(attempt, right: int | None = None) -> dict[str, list[str]]:
    """Form data answering `attempt`: the first `right` questions right, the rest wrong (all right by default)."""
    right = len(attempt.questions) if right is None else right
    data = {}
    for index, question in enumerate(attempt.questions):
        positions = {option_id: str(p) for p, (option_id, _) in enumerate(question["options"], start=1)}
        if index < right:
            data[f"q-{question['id']}"] = [positions[o] for o in question["correct"]]
        else:
            wrong = next(o for o, _ in question["options"] if o not in question["correct"])
            data[f"q-{question['id']}"] = [positions[wrong]]
    return data


def generated_questions(total: int, prefix: str = "q") -> list[QuestionSnapshot]:
    """`total` single-answer questions with options a, b, c, of which a is correct."""
    return [QuestionSnapshot(
        id=f"{prefix}{number}", type="single", stem_html=f"<p>Question {number}</p>",
        options=[["a", "<p>A</p>"], ["b", "<p>B</p>"], ["c", "<p>C</p>"]], correct=["a"],
        rationale_html="<p>Because.</p>", reference=ReferenceSnapshot(id=1, citation="Reference one."),
    ) for number in range(1, total + 1)]


def make_attempt(
    user: User, objective_id: str = "first-objective", *, score: int | None = None, total: int = 3,
    questions: list[QuestionSnapshot] | None = None, answers: dict[str, list[str]] | None = None,
    course_slug: str = COURSE, pass_mark: int = 70, submitted_at: datetime = datetime(2025, 8, 1, tzinfo=UTC),
) -> QuizAttempt:
    """An attempt of `user`'s, numbered after their others.

    Submitted when `score` or `answers` is given, graded by quizzes.rules.grade: with `score`,
    `total` generated questions of which the first `score` are answered right; with
    `questions` and `answers`, those. Otherwise it is open.
    """
    questions = questions if questions is not None else generated_questions(total)
    if score is not None:
        answers = {q["id"]: (["a"] if index < score else ["b"]) for index, q in enumerate(questions)}
    number = 1 + (db.session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.user_id == user.id, QuizAttempt.course_slug == course_slug, QuizAttempt.objective_id == objective_id,
    )) or 0)
    attempt = QuizAttempt(
        user_id=user.id, course_slug=course_slug, objective_id=objective_id, number=number, content_version="test",
        questions=questions, pass_mark=pass_mark, total=len(questions), status="open",
    )
    if answers is not None:
        result = grade(questions, answers, pass_mark)
        attempt.status, attempt.submitted_at, attempt.answers = "submitted", submitted_at, answers
        attempt.graded, attempt.score, attempt.passed = result.right, result.score, result.passed
    db.session.add(attempt)
    db.session.commit()
    return attempt


def complete_course(user: User, course_slug: str = COURSE, completed_at: datetime | None = None) -> CourseCompletion:
    """Record that `user` passed every quiz of the course, as the quizzes package does."""
    completion = CourseCompletion(
        user_id=user.id, course_slug=course_slug, content_version="test",
        completed_at=completed_at or datetime(2025, 7, 29, 15, 0, tzinfo=UTC),
    )
    db.session.add(completion)
    db.session.commit()
    return completion


def submit_evaluation(user: User, course_slug: str = COURSE, answers: dict | None = None,
                      submitted_at: datetime | None = None) -> EvaluationResponse:
    """Store a submitted course evaluation for `user`, by default at the moment they passed the last quiz
    (so the course's completion date is that day), or now if they have not."""
    if submitted_at is None:
        passed = db.session.scalar(select(CourseCompletion.completed_at).where(
            CourseCompletion.user_id == user.id, CourseCompletion.course_slug == course_slug))
        submitted_at = passed or datetime.now(UTC)
    response = EvaluationResponse(
        user_id=user.id, course_slug=course_slug, content_version="test",
        answers=answers or {"objective-first-objective": "Agree", "time-spent": 60}, submitted_at=submitted_at,
    )
    db.session.add(response)
    db.session.commit()
    return response


# --- Certificates -------------------------------------------------------------------------


def certificate_fields(user_id: int, name: str, *, approval_id: str = "ama-pra", course_slug: str = COURSE,
                       completed_on: date = COMPLETED_ON, amount: str = "1", status: str = "valid",
                       code: str | None = None, **columns) -> dict:
    """The columns of a certificate as credits.claims.claim_credit fills them (without MOC details and PDF);
    `columns` replace any of them (an approval not in APPROVALS needs its approval_body and unit)."""
    body, unit = APPROVALS.get(approval_id, (None, None))
    return {
        "user_id": user_id, "course_slug": course_slug, "approval_id": approval_id, "content_version": "test",
        "code": code or new_code(), "status": status,
        "issued_at": datetime.combine(completed_on, datetime.min.time(), UTC),
        "learner_name": name, "course_title": "Sample Course on Depression Care",
        "course_format": "Enduring material (online self-study)", "provider_name": "Sample CE Provider",
        "provider_address": "1 Test Street\nSpringfield, IL 62701", "completion_date": completed_on,
        "amount": Decimal(amount), "unit": unit, "approval_body": body, "approval_number": None,
        "statement": "Statement.",
        **({"revoked_at": datetime(2025, 8, 1, tzinfo=UTC), "revoked_reason": "test"} if status == "revoked" else {}),
        **columns,
    }


def build_certificate(user: User, *, moc_consent: bool = False, **fields) -> Certificate:
    """A certificate for `user`, with its PDF drawn, not yet added; for "moc-abim" the MOC details come from the profile."""
    certificate = Certificate(**certificate_fields(user.id, user.name, **fields))
    if certificate.approval_id == "moc-abim":
        certificate.moc_board = "ABIM"
        certificate.moc_board_id = next((b.number for b in user.board_ids if b.board == "ABIM"), None)
        certificate.moc_birth_month, certificate.moc_birth_day = user.birth_month, user.birth_day
        certificate.moc_consented_at = datetime(2025, 7, 29, tzinfo=UTC) if moc_consent else None
    draw_pdf(certificate)
    return certificate


def make_certificate(user: User, **fields) -> Certificate:
    certificate = build_certificate(user, **fields)
    db.session.add(certificate)
    db.session.commit()
    return certificate


def post_claim(client, approval_id: str, course_slug: str = COURSE, **fields):
    """POST the claim form for one credit; `fields` are amount, attested, moc_consent (prefixed as on the page)."""
    token = csrf_token(client, "/profile")
    data = {f"{approval_id}-csrf_token": token}
    for name, value in fields.items():
        if value is True:
            value = "y"
        if value not in (None, False):
            data[f"{approval_id}-{name}"] = value
    return client.post(f"/courses/{course_slug}/credit/{approval_id}", data=data)


def run_at_once(calls) -> list:
    """Run each of `calls` in its own thread, all released at the same moment; their results, in finishing order."""
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        barrier.wait()
        results.append(call())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


# --- Reporting to regulators --------------------------------------------------------------


def make_moc_learner(*, name: str = "Mary Ann van Dyke", board_id: str | None = "123456", birth_month: int | None = 3,
                     birth_day: int | None = 14, **fields) -> User:
    """A physician with what ABIM MOC reporting needs (board ID, birth month and day), unless told otherwise."""
    return make_user(name=name, profession="physician", board_ids=[("ABIM", board_id)] if board_id else [],
                     birth_month=birth_month, birth_day=birth_day, **fields)


def make_florida_nurse(*, name: str = "Flora Nightingale", licence: str = "RN9123456", **fields) -> User:
    return make_user(name=name, profession="nurse", licences=[("FL", "RN", licence)], **fields)


def make_reported_certificate(user: User, approval_id: str = "moc-abim", **fields) -> Certificate:
    """A certificate as a claim issues it, with its report records opened as the issue signal opens them."""
    from credits.signals import certificate_issued

    certificate = build_certificate(user, moc_consent=approval_id == "moc-abim", approval_id=approval_id, **fields)
    db.session.add(certificate)
    db.session.flush()
    certificate_issued.send(certificate, session=db.session)
    db.session.commit()
    return certificate


def make_report_batch(regulator: str = "pars", *, learners: int = 1):
    """A batch made from the command line's path, of `learners` new learners' reported certificates."""
    from course.content.store import current_catalogue
    from reports.batches import make_batch

    for _ in range(learners):
        if regulator == "pars":
            make_reported_certificate(make_moc_learner())
        else:
            make_reported_certificate(make_florida_nurse(), approval_id="nursing-fl", amount="1",
                                      approval_body="Florida Board of Nursing", unit="contact hour (Florida)")
    batch, _ = make_batch(db.session, regulator, current_catalogue(), actor=None, via="command line",
                          now=datetime(2025, 8, 1, 9, tzinfo=UTC))
    db.session.commit()
    return batch


def add_batch_items(batch, rows: int) -> None:
    """Fill `batch` up to `rows` items, each a copy of its first record (bulk inserts, for size tests)."""
    from reports.models import ReportBatchItem, ReportRecord

    first = db.session.scalar(select(ReportBatchItem).where(ReportBatchItem.batch_id == batch.id)
                              .order_by(ReportBatchItem.id))
    record = db.session.get(ReportRecord, first.record_id)
    have = db.session.scalar(select(func.count(ReportBatchItem.id)).where(ReportBatchItem.batch_id == batch.id))
    for start in range(have, rows, 1000):
        count = min(1000, rows - start)
        ids = db.session.scalars(ReportRecord.__table__.insert().returning(ReportRecord.id), [{
            "regulator": record.regulator, "action": "correct", "status": "accepted", "certificate_id": record.certificate_id,
            "user_id": record.user_id, "completion_date": record.completion_date, "times_sent": 1,
            "created_at": record.created_at, "payload": record.payload} for _ in range(count)]).all()
        db.session.execute(ReportBatchItem.__table__.insert(), [{
            "batch_id": batch.id, "record_id": record_id, "action": "add", "payload": first.payload,
            "previous_payload": None, "first_row": 2 + start + n, "rows": 1} for n, record_id in enumerate(ids)])
    db.session.commit()
