"""Outgoing email. By default messages are written to the log; the MAIL_SENDER setting replaces that."""
import logging
from dataclasses import dataclass

from flask import Flask, current_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


class LogMailSender:
    """For development: the message goes to the application log instead of an inbox."""

    def send(self, message: Message) -> None:
        logger.info("Email to %s: %s\n%s", message.to, message.subject, message.body)


def init_app(app: Flask) -> None:
    app.extensions["mail_sender"] = app.config.get("MAIL_SENDER") or LogMailSender()


def send_mail(to: str, subject: str, body: str) -> None:
    current_app.extensions["mail_sender"].send(Message(to, subject, body))
