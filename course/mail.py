"""Outgoing email through a pluggable sender; by default messages are written to the log."""
import logging
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


class MailSender(Protocol):
    def send(self, message: Message) -> None: ...


class LogMailSender:
    """For development: the message goes to the application log instead of an inbox."""

    def send(self, message: Message) -> None:
        logger.info("Email to %s: %s\n%s", message.to, message.subject, message.body)


def send_mail(to: str, subject: str, body: str) -> None:
    current_app.extensions["mail_sender"].send(Message(to, subject, body))
