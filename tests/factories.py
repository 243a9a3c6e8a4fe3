"""Test data: users and signed-in clients, made through the same functions the app uses."""
import re
from datetime import UTC, datetime
from itertools import count

from course.accounts import ProfileData, register_user, update_profile
from course.extensions import db
from course.models import User

DEFAULT_PASSWORD = "correct horse battery"
_serial = count(1)


def make_user(
    *, email: str | None = None, name: str = "Pat Example", password: str = DEFAULT_PASSWORD,
    role: str = "learner", profession: str | None = "physician", licences=(), board_ids=(),
    birth_month: int | None = None, birth_day: int | None = None,
) -> User:
    email = email or f"learner{next(_serial)}@example.org"
    user = register_user(db.session, name=name, email=email, password=password, role=role)
    if profession:
        update_profile(db.session, user, ProfileData(
            name=name, profession=profession, licences=list(licences), board_ids=list(board_ids),
            birth_month=birth_month, birth_day=birth_day, nabp_eprofile_id=None,
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


def complete_course(user: User, course_slug: str = "sample-course", completed_at: datetime | None = None):
    """Record that `user` passed every quiz of the course, as the quizzes package does."""
    from quizzes.models import CourseCompletion

    completion = CourseCompletion(
        user_id=user.id, course_slug=course_slug, content_version="test",
        completed_at=completed_at or datetime(2025, 7, 29, 15, 0, tzinfo=UTC),
    )
    db.session.add(completion)
    db.session.commit()
    return completion


def submit_evaluation(user: User, course_slug: str = "sample-course", answers: dict | None = None):
    """Store a submitted course evaluation for `user` directly."""
    from credits.models import EvaluationResponse

    response = EvaluationResponse(
        user_id=user.id, course_slug=course_slug, content_version="test",
        answers=answers or {"objective-first-objective": "Agree", "time-spent": 60},
    )
    db.session.add(response)
    db.session.commit()
    return response


def post_claim(client, approval_id: str, course_slug: str = "sample-course", **fields):
    """POST the claim form for one credit; `fields` are amount, attested, moc_consent (prefixed as on the page)."""
    token = csrf_token(client, "/profile")
    data = {f"{approval_id}-csrf_token": token}
    for name, value in fields.items():
        if value is True:
            value = "y"
        if value not in (None, False):
            data[f"{approval_id}-{name}"] = value
    return client.post(f"/courses/{course_slug}/credit/{approval_id}", data=data)
