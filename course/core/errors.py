"""Error pages: every refusal and failure answers with a page that says what happened."""
from flask import Flask, current_app, render_template, url_for
from flask.globals import request_ctx
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import SecurityError

from .extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have access to this page.",
    404: "There is no page at this address.",
    405: "That action is not allowed here.",
    409: "That conflicts with a change made at the same moment. Please reload the page and try again.",
    413: "What you sent is too large.",
    415: "This address takes only what its form on the page sends.",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you saved was lost; please try again.",
}
CSRF_MESSAGE = "Your form expired or was sent without its security token. Please reload the page and try again."
DATABASE_UNAVAILABLE_MESSAGE = (
    "The database is unavailable for a moment. Nothing from this request was saved; please try again."
)


def bare_error_page(code: int, message: str):
    """The error page without the site's navigation: needs neither the database (the signed-in
    user) nor a URL adapter (a request for an untrusted host has none)."""
    links = {}
    if request_ctx.url_adapter is not None:
        links = {"stylesheet": url_for("static", filename="style.css"), "home": url_for("pages.index")}
    return render_template("error_bare.html", code=code, message=message, **links), code


def error_page(code: int, message: str):
    """The error page with the site's navigation, or the bare one if that cannot be drawn."""
    if request_ctx.url_adapter is None:
        return bare_error_page(code, message)
    try:
        return render_template("error.html", code=code, message=message), code
    except SQLAlchemyError as error:  # the navigation asks who is signed in
        db.session.rollback()
        current_app.logger.warning("error page drawn without the database: %s", error)
        return bare_error_page(code, message)


def _render_http_error(error):
    code = getattr(error, "code", 500) or 500
    if isinstance(error, CSRFError):
        message = CSRF_MESSAGE
    elif isinstance(error, SecurityError):
        message = "This site does not answer for that host name."
    elif code == 400 and error.description != type(error).description:
        message = error.description  # abort(400, "...") with its own explanation
    else:
        message = MESSAGES.get(code, getattr(error, "description", "Error"))
    body, status = error_page(code, message)
    headers = {}
    if isinstance(error, RateLimitExceeded):  # at most one window away
        headers["Retry-After"] = str(error.limit.limit.get_expiry())
    return body, status, headers


def _database_unavailable(error):
    """The connection failed mid-request: undo the transaction and say so plainly."""
    db.session.rollback()
    current_app.logger.warning("database unavailable: %s", error)
    return bare_error_page(503, DATABASE_UNAVAILABLE_MESSAGE)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _render_http_error)
    for code in MESSAGES:
        app.register_error_handler(code, _render_http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)
