"""Exactly-once submission under real concurrency, on PostgreSQL."""
import threading
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course import create_app
from course.content.loader import load_catalogue
from course.core.extensions import db
from quizzes.reading import record_module_read
from quizzes.attempts import QuizRefused, start_attempt, submit_attempt
from quizzes.models import CourseCompletion, QuizAttempt
from tests.factories import app_settings, make_user, quiz_answers

SUBMITTERS = 12


def test_simultaneous_submissions_of_one_attempt_yield_one_result(postgres_url, content_dir):
    app = create_app(app_settings(SQLALCHEMY_DATABASE_URI=postgres_url,
                      CONTENT_DIR=str(content_dir), SQLALCHEMY_ENGINE_OPTIONS={"pool_size": SUBMITTERS + 2}))
    course = load_catalogue(content_dir).courses["sample-course"]
    now = datetime.now(UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        user = make_user(email="racer@example.org")
        record_module_read(db.session, user.id, course.slug, "first-objective")
        attempt = start_attempt(db.session, user.id, course, "first-objective", now)
        db.session.commit()
        answers = quiz_answers(attempt)
        attempt_id = attempt.id
        engine = db.engine

        barrier = threading.Barrier(SUBMITTERS)
        outcomes: list[str] = []

        def submitter():
            with Session(engine) as session:
                barrier.wait()
                try:
                    submit_attempt(session, session.get(QuizAttempt, attempt_id), answers, course, now)
                    session.commit()
                    outcomes.append("recorded")
                except QuizRefused as refusal:
                    session.rollback()
                    outcomes.append(f"refused {refusal.status}")

        threads = [threading.Thread(target=submitter) for _ in range(SUBMITTERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(outcomes) == ["recorded"] + ["refused 409"] * (SUBMITTERS - 1)
        db.session.expire_all()
        assert db.session.get(QuizAttempt, attempt_id).status == "submitted"
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
        assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 0
        db.session.remove()
        db.drop_all()
        engine.dispose()
