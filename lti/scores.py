"""Grade passback (AGS): grade targets from launches, scores queued in the outbox, sent after commit.

A learner's progress event (an objective's quiz passed, the course completed) queues one score
per grade target, in the same transaction as the event (the quiz and evaluation signals), so a
rolled-back event queues nothing. After the commit the queued rows are sent; a failure waits
(1, 2, 4... minutes, at most an hour) and is tried again by the next send, up to MAX_ATTEMPTS.
The learner never waits for a platform: sending happens after the response, or from
`flask lti send-scores`. A row is claimed by one conditional UPDATE (pending -> sending) before
its POST, so two senders never post the same row; the unique (target, event) means an event is
queued once.
"""
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from flask import current_app, g, has_request_context
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.content.model import Course
from course.core.clock import now as current_time
from course.core.extensions import db
from credits.signals import evaluation_completed
from quizzes.attempts import passed_objectives
from quizzes.signals import quiz_passed

from .models import LtiGradeTarget, LtiPlatform, LtiScoreOutbox
from .platforms import registration_for

MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)
STALE_CLAIM = timedelta(minutes=10)  # a sender that died mid-post: its row is tried again
COURSE_COMPLETE = "course-complete"
HTTP_TIMEOUT = 10


def record_grade_target(session: Session, *, platform: LtiPlatform, user_id: int, course_slug: str, subject: str,
                        lineitem_url: str, scopes: list[str], now: datetime) -> LtiGradeTarget:
    """Remember (or refresh) where this learner's score for the course goes."""
    target = session.scalar(select(LtiGradeTarget).where(
        LtiGradeTarget.platform_id == platform.id, LtiGradeTarget.user_id == user_id,
        LtiGradeTarget.lineitem_url == lineitem_url))
    if target is None:
        target = LtiGradeTarget(platform_id=platform.id, user_id=user_id, lineitem_url=lineitem_url,
                                course_slug=course_slug, subject=subject, scopes=scopes)
        try:
            with session.begin_nested():
                session.add(target)
                session.flush()
        except IntegrityError:  # the same launch in two tabs
            return record_grade_target(session, platform=platform, user_id=user_id, course_slug=course_slug,
                                       subject=subject, lineitem_url=lineitem_url, scopes=scopes, now=now)
    target.course_slug, target.subject, target.scopes, target.updated_at = course_slug, subject, scopes, now
    session.flush()
    return target


def timestamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and the zone's offset, as AGS asks."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def score_body(*, subject: str, passed: int, total: int, complete: bool, moment: datetime) -> dict:
    """The AGS score: objectives passed out of all; Completed and FullyGraded once the course is complete."""
    grade = (Grade().set_user_id(subject).set_score_given(float(passed)).set_score_maximum(float(total))
             .set_timestamp(timestamp(moment))
             .set_activity_progress("Completed" if complete else "InProgress")
             .set_grading_progress("FullyGraded" if complete else "Pending"))
    return json.loads(grade.get_value())


def queue_scores(session: Session, *, user_id: int, course: Course, event: str, passed: int, complete: bool,
                 now: datetime) -> list[LtiScoreOutbox]:
    """Queue the event's score for each of the learner's grade targets for this course (once per event)."""
    queued = []
    targets = session.scalars(select(LtiGradeTarget).where(
        LtiGradeTarget.user_id == user_id, LtiGradeTarget.course_slug == course.slug))
    for target in targets:
        body = score_body(subject=target.subject, passed=passed, total=len(course.objectives), complete=complete,
                          moment=now)
        row = LtiScoreOutbox(target_id=target.id, event=event, score=body, next_attempt_at=now, created_at=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # this event was queued for this target before
            continue
        queued.append(row)
    return queued


class PlatformConnector(ServiceConnector):
    """pylti1p3's service connector without a shared token cache: each send asks for its own token."""

    def _get_cached_access_token(self, scope_key: str):
        return None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        return None


class StoredGrade(Grade):
    """A score body as queued, posted exactly so."""

    def __init__(self, body: dict):
        self.body = body

    def get_value(self) -> str:
        return json.dumps(self.body)


class TimeoutSession(requests.Session):
    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(*args, **kwargs)


def post_score(row: LtiScoreOutbox, config, http: requests.Session) -> None:
    """POST one score to its line item's /scores (media type application/vnd.ims.lis.v1.score+json)."""
    target = row.target
    connector = PlatformConnector(registration_for(target.platform, config), http)
    service = AssignmentsGradesService(connector, {"scope": target.scopes, "lineitem": target.lineitem_url})
    service.put_grade(StoredGrade(row.score))


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


@dataclass(frozen=True)
class SendResult:
    sent: int
    failed: int  # tried and failed this time (waiting for a retry, or given up)


def due_rows(session: Session, now: datetime, ids: list[int] | None = None) -> list[int]:
    query = select(LtiScoreOutbox.id).where(or_(
        (LtiScoreOutbox.status == "pending") & (LtiScoreOutbox.next_attempt_at <= now),
        (LtiScoreOutbox.status == "sending") & (LtiScoreOutbox.claimed_at < now - STALE_CLAIM),
    )).order_by(LtiScoreOutbox.id)
    if ids is not None:
        query = query.where(LtiScoreOutbox.id.in_(ids))
    return list(session.scalars(query))


def send_due(session: Session, config, now: datetime, http: requests.Session | None = None,
             ids: list[int] | None = None) -> SendResult:
    """Send every due score (or only `ids`), oldest first, committing after each one."""
    http = http or TimeoutSession()
    sent = failed = 0
    for row_id in due_rows(session, now, ids):
        claimed = session.execute(
            update(LtiScoreOutbox)
            .where(LtiScoreOutbox.id == row_id, or_(
                (LtiScoreOutbox.status == "pending") & (LtiScoreOutbox.next_attempt_at <= now),
                (LtiScoreOutbox.status == "sending") & (LtiScoreOutbox.claimed_at < now - STALE_CLAIM)))
            .values(status="sending", claimed_at=now, attempts=LtiScoreOutbox.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if claimed != 1:
            continue  # another sender has it
        row = session.get(LtiScoreOutbox, row_id, populate_existing=True)
        try:
            post_score(row, config, http)
        except (LtiException, requests.RequestException, AssertionError) as error:
            row.last_error = str(error)[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.status, row.next_attempt_at = "pending", now + _backoff(row.attempts)
            failed += 1
        else:
            row.status, row.sent_at, row.last_error = "sent", now, None
            sent += 1
        session.commit()
    return SendResult(sent, failed)


def outbox_rows(session: Session, limit: int = 100) -> list[LtiScoreOutbox]:
    return list(session.scalars(select(LtiScoreOutbox).order_by(LtiScoreOutbox.id.desc()).limit(limit)))


def _on_quiz_passed(attempt, *, session: Session, course: Course, completed_course: bool) -> None:
    passed = len(passed_objectives(session, attempt.user_id, course.slug))
    _queued(queue_scores(session, user_id=attempt.user_id, course=course, event=f"quiz:{attempt.objective_id}",
                         passed=passed, complete=False, now=attempt.submitted_at or current_time()))


def _on_evaluation_submitted(response, *, session: Session, course: Course) -> None:
    _queued(queue_scores(session, user_id=response.user_id, course=course, event=COURSE_COMPLETE,
                         passed=len(course.objectives), complete=True, now=response.submitted_at or current_time()))


def _queued(rows: list[LtiScoreOutbox]) -> None:
    """Note the rows this request queued, to be sent once the response has gone (see send_after_response)."""
    if rows and has_request_context():
        g.setdefault("lti_queued_scores", []).extend(row.id for row in rows)


def send_after_response(response):
    """After a request that queued scores (and committed them): send them once the response is delivered."""
    ids = g.get("lti_queued_scores")
    if ids:
        app = current_app._get_current_object()

        def send() -> None:
            with app.app_context():
                send_due(db.session, app.config, current_time(), ids=list(ids))
                db.session.remove()

        response.call_on_close(send)
    return response


def connect_signals() -> None:
    quiz_passed.connect(_on_quiz_passed)
    evaluation_completed.connect(_on_evaluation_submitted)
