"""Registered platforms and their deployments, linked accounts, used nonces, grade targets and the score outbox."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.core.clock import utcnow
from course.core.extensions import db

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class LtiPlatform(db.Model):
    """One registration of this tool in a platform: an issuer and the client id it gave us.

    One issuer may register the tool several times (several client ids), so the pair is unique.
    `frame_origins` are the origins allowed to show the tool in an iframe (CSP frame-ancestors).
    `key_set` caches the platform's JWKS, fetched again when a launch names an unknown key id.
    """

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    frame_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    key_set: Mapped[dict | None] = mapped_column(JSON)
    key_set_fetched_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list["LtiDeployment"]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="LtiDeployment.id")

    @property
    def deployment_ids(self) -> list[str]:
        return [deployment.deployment_id for deployment in self.deployments]


class LtiDeployment(db.Model):
    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployments_platform_deployment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")


class LtiAccount(db.Model):
    """A platform's user (issuer, subject) linked to one of our users; never matched by email."""

    __tablename__ = "lti_accounts"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_lti_accounts_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    platform_email: Mapped[str | None] = mapped_column(String(254))  # as the platform sent it; shown, never matched
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiUsedNonce(db.Model):
    """A launch's nonce, kept until its id_token expires, so the same launch is refused a second time."""

    __tablename__ = "lti_used_nonces"
    __table_args__ = (UniqueConstraint("issuer", "nonce", name="uq_lti_used_nonces_issuer_nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LtiGradeTarget(db.Model):
    """Where a learner's score for a course goes: a platform's line item, from the launch's AGS claim."""

    __tablename__ = "lti_grade_targets"
    __table_args__ = (
        UniqueConstraint("platform_id", "user_id", "lineitem_url", name="uq_lti_grade_targets_platform_user_lineitem"),
        Index("ix_lti_grade_targets_user_course", "user_id", "course_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(255))  # the platform's user id, sent as the score's userId
    lineitem_url: Mapped[str] = mapped_column(String(1000))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    platform: Mapped[LtiPlatform] = relationship()


class LtiScoreOutbox(db.Model):
    """A score to post, written in the transaction of the event it reports and sent after commit.

    One row per grade target and event ("quiz:<objective id>", "course-complete"), so an event
    is never posted twice; a failed post waits for `next_attempt_at` and is tried again.
    """

    __tablename__ = "lti_score_outbox"
    __table_args__ = (
        UniqueConstraint("target_id", "event", name="uq_lti_score_outbox_target_event"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_lti_score_outbox_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("lti_grade_targets.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(120))
    score: Mapped[dict] = mapped_column(JSON)  # the AGS score body, as posted
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    target: Mapped[LtiGradeTarget] = relationship()


class LtiLoginState(db.Model):
    """The parameters of an OIDC login, by its state, until the launch comes back.

    A browser that refuses our cookies inside the platform's iframe returns to the launch without
    them; these let the tool offer the same login again in a new window, where cookies work.
    """

    __tablename__ = "lti_login_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(100), unique=True)
    params: Mapped[dict] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(index=True)
