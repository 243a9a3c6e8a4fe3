"""The conventional peer: a minimal Flask-SQLAlchemy + Flask-Login app, the usual way.

Its one route is the floor's fixed page behind `login_required`, the way most Flask apps are
written: the user loader does `db.session.get(User, id)` through Flask-SQLAlchemy's ORM
session (a connection checked out of the pool and a transaction per request), CSRFProtect is
on, and the responses carry the platform's security headers. It checks the session version as
the platform does, so it keeps the same security rule. Served by the same gunicorn.conf.py on
the same database and cookies as the platform (DATABASE_URL, SECRET_KEY), so its signed-in
request with no page work is a second baseline beside the bare floor.
"""
import os

from flask import Flask
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench.floor_app import PAGE
from course.core.security import SECURITY_HEADERS


class Base(DeclarativeBase):
    pass


app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ["SECRET_KEY"],
    SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1),
    SESSION_COOKIE_NAME=os.environ.get("SESSION_COOKIE_NAME", "session"),  # the platform's, so its cookies work here
)
db = SQLAlchemy(app, model_class=Base)
login_manager = LoginManager(app)
CSRFProtect(app)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    role: Mapped[str]
    session_version: Mapped[int]

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"


@login_manager.user_loader
def load_user(token: str) -> User | None:
    user_id, _, version = token.partition(".")
    user = db.session.get(User, int(user_id))
    return user if user is not None and str(user.session_version) == version else None


@app.after_request
def security_headers(response):
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    if current_user.is_authenticated:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@app.get("/")
@login_required
def index():
    return PAGE
