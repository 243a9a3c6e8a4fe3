"""The CE platform's Flask application: `create_app()` builds it, step by step.

This is the only module that imports the blueprints; every package below it imports only
downwards (see README.md, "Project layout", and tests/test_layout.py).
"""
from pathlib import Path

from flask import Flask

from .core import database, errors, filters, input_checks, mail, security
from .core.config import PROJECT_DIR, load_config
from .core.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides what the environment says (tests pass their own)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_DIR / "instance"),
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
    )
    app.config.update(load_config(Path(app.instance_path), config))
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    register_reporting()
    register_lti(app)
    filters.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    input_checks.init_app(app)
    return app


# The register_* steps import the packages when they run, not at the top of this module:
# every package imports course.core, and importing course.core runs this module first.


def register_extensions(app: Flask) -> None:
    from accounts import passwords, sessions
    from course.content import store

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(sessions.load_user)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    passwords.init_app(app)
    mail.init_app(app)
    store.init_app(app)


def register_blueprints(app: Flask) -> None:
    from accounts.views import bp as accounts
    from course.pages.views import bp as pages
    from credits.views import bp as credits
    from quizzes.views import bp as quizzes
    from staff.admin.support import bp as admin  # the admin blueprint, with the learner-support routes attached
    from staff.instructor.views import bp as instructor
    from lti.views import bp as lti

    for blueprint in (accounts, pages, quizzes, credits, instructor, admin, lti):
        app.register_blueprint(blueprint)


def register_reporting() -> None:
    """Report records follow certificates, and the transcript shows them (signals from credits)."""
    from reports.status import connect_transcript
    from reports.tracking import connect_signals

    connect_signals()
    connect_transcript()


def register_lti(app: Flask) -> None:
    """LTI launches: their sessions' cookie and frames, and scores queued by quiz and evaluation signals."""
    from lti import frames, scores

    frames.init_app(app)
    scores.connect_signals()
    app.after_request(scores.send_after_response)


def register_cli(app: Flask) -> None:
    from accounts.cli import users_cli
    from course.content.cli import content_cli
    from credits.cli import credits_cli
    from lti.cli import lti_cli
    from reports.cli import reports_cli

    for group in (content_cli, users_cli, credits_cli, reports_cli, lti_cli):
        app.cli.add_command(group)
