"""Outgoing email: through SMTP when MAIL_URL is set, otherwise written to the log (development).

A test or a deployment may put its own sender (anything with `send(message)`) in MAIL_SENDER.
"""
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app

from .config import ConfigError

logger = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


class LogMailSender:
    """For development: the message goes to the application log instead of an inbox."""

    def send(self, message: Message) -> None:
        logger.info("Email to %s: %s\n%s", message.to, message.subject, message.body)


class SmtpMailSender:
    """One SMTP connection per message, from MAIL_URL (see course.core.config._mail_settings)."""

    def __init__(self, mail_url: str, sender: str):
        parts = urlsplit(mail_url)
        self.implicit_tls = parts.scheme == "smtps"
        self.starttls = not self.implicit_tls and parts.query != "tls=none"
        self.host, self.port = parts.hostname, parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.sender = sender

    def _message(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        email.set_content(message.body)
        return email

    def send(self, message: Message) -> None:
        context = ssl.create_default_context()
        if self.implicit_tls:
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        with connection:
            if self.starttls:
                connection.starttls(context=context)
            if self.username:
                connection.login(self.username, self.password)
            connection.send_message(self._message(message))


def init_app(app: Flask) -> None:
    sender = app.config.get("MAIL_SENDER")
    if sender is None and app.config.get("MAIL_URL"):
        sender = SmtpMailSender(app.config["MAIL_URL"], app.config["MAIL_FROM"])
    if sender is None:
        if app.config.get("APP_ENV") == "production":
            raise ConfigError("MAIL_URL must be set when APP_ENV=production (e.g. smtp://user:password@smtp.example.org:587)")
        sender = LogMailSender()
    app.extensions["mail_sender"] = sender


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a message; a mail server that fails is logged, not shown to the person who caused the message.

    Password reset and registration answer the same whether or not mail went out, so that
    they reveal nothing about accounts; the log is where an operator learns of the failure.
    """
    try:
        current_app.extensions["mail_sender"].send(Message(to, subject, body))
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("could not send email %r to %s", subject, to)
