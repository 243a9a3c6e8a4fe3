"""The benchmark's own learners, their records, signed-in cookies and the request lists for wrk.

The same learners are added to the small and to the large database, so the two runs do
exactly the same work per request and differ only in how much other data surrounds it.

- Readers (a few dozen): every module read, both quizzes passed (through the quizzes
  package's own start_attempt/submit_attempt), the evaluation submitted, every credit they
  are offered claimed (through credits.claims.claim_credit), and one open retake attempt.
  They drive the module, course, quiz, claim, PDF and verify pages.
- Submitters (thousands): both objective modules read and one open attempt per objective,
  inserted in bulk (drawn by quizzes.rules.draw_questions, as start_attempt does). Each
  attempt is submitted once, all answers right, by the quiz submission run.

A signed-in learner is a Flask session cookie made with the app's own session serializer
and Flask-Login's own session fields (what signing in puts there), so no password has to
be checked and no sign-in rate limit applies.
"""
from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import insert, select

from accounts.models import BoardId, Licence, User
from accounts.passwords import hash_password
from course.content.model import Course
from course.core.extensions import db
from credits import claims
from credits.certificates import certificates_of
from credits.eligibility import offered_credit
from credits.evaluation import submit_evaluation
from quizzes.attempts import start_attempt, submit_attempt
from quizzes.models import QuizAttempt
from quizzes.reading import ModuleRead, record_module_read
from quizzes.rules import draw_questions

USER_AGENT = "ce-bench"
PASSWORD = "bench password 1234"


@dataclass
class Reader:
    id: int
    open_attempt_id: int
    certificate_ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)


@dataclass
class Submission:
    user_id: int
    attempt_id: int
    form: dict[str, list[str]]


def _profile(index: int) -> dict:
    """Half physicians with every MOC board, half nurses licensed in three states: many credit offers."""
    if index % 2 == 0:
        return {"profession": "physician", "birth_month": 1 + index % 12, "birth_day": 1 + index % 28,
                "licences": [("NY", f"MD-{index}")], "boards": ["ABIM", "ABP", "ABA", "ABS", "ABPath"]}
    return {"profession": "nurse", "birth_month": None, "birth_day": None,
            "licences": [("CA", f"RN-{index}"), ("FL", f"RN9{index:06d}"), ("AL", f"RN-{index}")], "boards": []}


def _add_users(prefix: str, count: int, password_hash: str, profiles: bool) -> list[int]:
    """Insert `count` learners in one statement; return their ids in order."""
    now = datetime.now(UTC)
    rows = []
    for index in range(count):
        profile = _profile(index) if profiles else {"profession": "physician", "birth_month": None, "birth_day": None}
        rows.append({
            "email": f"{prefix}-{index}@bench.example.org", "name": f"Bench {prefix.title()} {index}",
            "password_hash": password_hash, "role": "learner", "profession": profile["profession"],
            "birth_month": profile["birth_month"], "birth_day": profile["birth_day"], "created_at": now,
            "session_version": 1,
        })
    db.session.execute(insert(User), rows)
    ids = list(db.session.scalars(
        select(User.id).where(User.email.like(f"{prefix}-%@bench.example.org")).order_by(User.id)))
    if profiles:
        licences, boards = [], []
        for index, user_id in enumerate(ids):
            profile = _profile(index)
            licences += [{"user_id": user_id, "state": s, "number": n} for s, n in profile["licences"]]
            boards += [{"user_id": user_id, "board": b, "number": f"{b}-{user_id}"} for b in profile["boards"]]
        db.session.execute(insert(Licence), licences)
        if boards:
            db.session.execute(insert(BoardId), boards)
    return ids


def all_right(questions: list[dict]) -> dict[str, list[str]]:
    """Form fields answering every question right, by shown position, as the quiz page posts them."""
    form = {}
    for question in questions:
        positions = {option_id: str(p) for p, (option_id, _) in enumerate(question["options"], start=1)}
        form[f"q-{question['id']}"] = [positions[o] for o in question["correct"]]
    return form


def add_readers(app: Flask, course: Course, count: int, prefix: str = "reader") -> list[Reader]:
    """Learners who have been through the whole course and hold certificates (see module docstring)."""
    with app.app_context():
        provider = app.extensions["content"].catalogue().provider
        ids = _add_users(prefix, count, hash_password(PASSWORD), profiles=True)
        db.session.commit()
        readers = []
        now = datetime.now(UTC)
        for user_id in ids:
            for module in course.modules:
                record_module_read(db.session, user_id, course.slug, module.id)
            for objective in course.objectives:
                attempt = start_attempt(db.session, user_id, course, objective.id, now)
                submit_attempt(db.session, attempt, all_right(attempt.questions), course, now)
            submit_evaluation(db.session, user_id=user_id, course=course,
                                     raw_answers=_evaluation_answers(course), now=now)
            user = db.session.get(User, user_id)
            completed_on = claims.course_completion(db.session, user_id, course.slug).completed_on
            offers = offered_credit(course, provider, claims.learner_from_user(user), completed_on, moc_consent=True)
            for offer in offers:
                request = claims.ClaimRequest(amount=str(offer.designation.amount), attested=True, moc_consent=True)
                claims.claim_credit(db.session, user=user, course=course, provider=provider,
                                    approval_id=offer.approval_id, request=request, now=now)
            retake = start_attempt(db.session, user_id, course, course.objectives[0].id, now)
            db.session.commit()
            certificates = certificates_of(db.session, user_id, course.slug)
            readers.append(Reader(user_id, retake.id, [c.id for c in certificates], [c.code for c in certificates]))
        db.session.remove()
    return readers


def _evaluation_answers(course: Course) -> dict[str, str]:
    answers = {}
    for item in course.evaluation:
        if item.type in ("rating", "choice"):
            answers[item.id] = item.choices[-1]
        elif item.type == "number":
            answers[item.id] = str(item.minimum if item.minimum is not None else 60)
        else:
            answers[item.id] = "Useful."
    return answers


def add_submitters(app: Flask, course: Course, count: int, prefix: str = "submitter") -> list[Submission]:
    """`count` open attempts ready to submit: count/2 learners, one open attempt per objective each."""
    objectives = [o.id for o in course.objectives]
    learners = -(-count // len(objectives))
    with app.app_context():
        ids = _add_users(prefix, learners, hash_password(PASSWORD), profiles=False)
        now = datetime.now(UTC)
        reads, attempts = [], []
        for user_id in ids:
            for objective_id in objectives:
                module = course.module_for_objective(objective_id)
                reads.append({"user_id": user_id, "course_slug": course.slug, "module_id": module.id,
                              "first_read_at": now})
                questions = draw_questions(course, objective_id)
                attempts.append({
                    "user_id": user_id, "course_slug": course.slug, "objective_id": objective_id, "number": 1,
                    "content_version": course.banks[objective_id].version, "questions": questions,
                    "pass_mark": course.pass_mark, "status": "open", "started_at": now, "total": len(questions),
                })
        db.session.execute(insert(ModuleRead), reads)
        db.session.execute(insert(QuizAttempt), attempts)
        db.session.commit()
        rows = db.session.execute(
            select(QuizAttempt.id, QuizAttempt.user_id, QuizAttempt.questions)
            .where(QuizAttempt.user_id.in_(ids), QuizAttempt.status == "open").order_by(QuizAttempt.id)
        ).all()
        db.session.remove()
    return [Submission(user_id, attempt_id, all_right(questions)) for attempt_id, user_id, questions in rows]


class Cookies:
    """Signed-in session cookies for any learner id, made as signing in would make them."""

    def __init__(self, app: Flask):
        self.app = app
        with app.test_request_context("/", headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            from accounts.sessions import start_session
            from course.core.security import keep_signed_csrf_token

            start_session(SimpleUser())
            self.csrf_token = generate_csrf()  # stored raw in the session, signed in the form
            keep_signed_csrf_token(None)  # and kept signed, as after the first page with a form
            self.template = dict(session)
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.name = app.config["SESSION_COOKIE_NAME"]

    def for_user(self, user_id: int, session_version: int = 1) -> str:
        """Stamped now, like a browser's cookie, which the app renews once a minute (accounts/sessions.py)."""
        stamp = time.time()
        data = dict(self.template, _user_id=f"{user_id}.{session_version}", auth_at=stamp, seen_at=stamp)
        return f"{self.name}={self.serializer.dumps(data)}"


class SimpleUser:
    """Enough of a user for accounts.sessions.start_session; the id is replaced per learner."""

    id, session_version, role, name = 0, 1, "learner", ""


def write_requests(path: Path, lines: list[tuple[str, str, str, str]]) -> Path:
    """The request file bench/requests.lua replays: METHOD, PATH, COOKIE, BODY per line."""
    with path.open("w") as out:
        for method, url, cookie, body in lines:
            out.write(f"{method}\t{url}\t{cookie}\t{body}\n")
    return path


def submission_body(csrf_token: str, form: dict[str, list[str]]) -> str:
    return urllib.parse.urlencode({"csrf_token": csrf_token, **form}, doseq=True)


def page_requests(course: Course, readers: list[Reader], cookies: Cookies) -> dict[str, list[tuple]]:
    """What each GET page run requests, spread over every reader (and every module and certificate)."""
    slug = course.slug
    module_ids = [m.id for m in course.modules]
    pages: dict[str, list[tuple]] = {"signed-in-nothing": [], "public-nothing": [("GET", "/bench/public-nothing", "", "")],
                                     "module": [], "course": [], "quiz": [], "claim": [], "pdf": [], "verify": []}
    for index, reader in enumerate(readers):
        cookie = cookies.for_user(reader.id)
        pages["signed-in-nothing"].append(("GET", "/bench/signed-in-nothing", cookie, ""))
        for offset in range(len(module_ids)):
            module_id = module_ids[(index + offset) % len(module_ids)]
            pages["module"].append(("GET", f"/courses/{slug}/modules/{module_id}", cookie, ""))
        pages["course"].append(("GET", f"/courses/{slug}", cookie, ""))
        pages["quiz"].append(("GET", f"/quiz/attempts/{reader.open_attempt_id}", cookie, ""))
        pages["claim"].append(("GET", f"/courses/{slug}/credit", cookie, ""))
        for certificate_id in reader.certificate_ids:
            pages["pdf"].append(("GET", f"/certificates/{certificate_id}.pdf", cookie, ""))
        for code in reader.codes:
            pages["verify"].append(("GET", f"/verify/{code}", "", ""))
    return pages


def submission_requests(submissions: list[Submission], cookies: Cookies) -> list[tuple]:
    return [("POST", f"/quiz/attempts/{s.attempt_id}", cookies.for_user(s.user_id),
             submission_body(cookies.csrf_token, s.form)) for s in submissions]


def dump(path: Path, readers: list[Reader]) -> None:
    path.write_text(json.dumps([r.__dict__ for r in readers]))
