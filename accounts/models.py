"""Users, their licences and their certifying-board IDs."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.core.clock import utcnow
from course.core.extensions import db
from course.core.folding import fold
from course.core.roles import ROLES, role_at_least


class SignedInAccount(UserMixin):
    """What Flask-Login needs of a signed-in account, for `User` and `accounts.sessions.SignedInUser`
    alike (each has `id`, `session_version` and `role`): the session token "<id>.<session version>"
    and the role checks."""

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return role_at_least(self.role, "admin")

    @property
    def is_instructor(self) -> bool:
        return role_at_least(self.role, "instructor")


class User(SignedInAccount, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint("birth_month IS NULL OR (birth_month BETWEEN 1 AND 12)", name="birth_month"),
        CheckConstraint("birth_day IS NULL OR (birth_day BETWEEN 1 AND 31)", name="birth_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint makes email unique case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # `name` is the name as the learner wrote it for certificates; first and last name, kept
    # apart, are what regulators match against their records (ACCME PARS, CE Broker).
    name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Name and email folded (course.core.folding): what learner search matches, so capitals and
    # accents do not matter on SQLite or PostgreSQL. Set on every insert (ORM or Core) and on
    # every ORM update; an UPDATE statement that changes a name must set it too.
    search_text: Mapped[str] = mapped_column(
        String(460), server_default="",
        default=lambda context: search_text_for(
            context.get_current_parameters()["name"], context.get_current_parameters()["email"]),
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="learner")
    profession: Mapped[str | None] = mapped_column(String(40))
    birth_month: Mapped[int | None]
    birth_day: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised on sign-out and password change: every session and remember-me cookie carries
    # the version it was issued under and stops working once it no longer matches.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Set by an administrator: a deactivated account cannot sign in, and its sessions end.
    deactivated_at: Mapped[datetime | None]
    # Set when the account is deleted: its personal data is gone, its certificates stay verifiable.
    deleted_at: Mapped[datetime | None]

    licences: Mapped[list["Licence"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Licence.id"
    )
    board_ids: Mapped[list["BoardId"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="BoardId.id"
    )

    @property
    def is_active(self) -> bool:
        """Flask-Login's check: a deactivated or deleted account is never signed in."""
        return self.deactivated_at is None and self.deleted_at is None

    @property
    def licence_states(self) -> set[str]:
        return {licence.state for licence in self.licences}


def search_text_for(name: str, email: str) -> str:
    return f"{fold(name)}\n{fold(email)}"


@event.listens_for(User, "before_update")
def _refresh_search_text(mapper, connection, user: User) -> None:
    user.search_text = search_text_for(user.name or "", user.email or "")


class Licence(db.Model):
    __tablename__ = "licences"
    __table_args__ = (UniqueConstraint("user_id", "state", "number", name="uq_licences_user_state_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(2))
    # One of course.core.reference.LICENCE_TYPES; None only for licences entered before the type was asked.
    type: Mapped[str | None] = mapped_column(String(10))
    number: Mapped[str] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="licences")


class BoardId(db.Model):
    __tablename__ = "board_ids"
    __table_args__ = (UniqueConstraint("user_id", "board", name="uq_board_ids_user_board"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    board: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="board_ids")
