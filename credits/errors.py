"""Refusals of the credit rules. Each carries the message to show and the HTTP status that fits."""
from collections.abc import Mapping


class CreditError(Exception):
    """A request the rules refuse. `status` is the HTTP status that fits, `field` the form field at fault."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotCompleted(CreditError):
    status = 409


class EvaluationMissing(CreditError):
    status = 409


class EvaluationAlreadySubmitted(CreditError):
    status = 409


class EvaluationInvalid(CreditError):
    def __init__(self, errors: Mapping[str, str]):
        super().__init__("Please answer the questions marked below.")
        self.errors = dict(errors)


class ClaimRefused(CreditError):
    pass


class CertificateNotValid(CreditError):
    status = 409
