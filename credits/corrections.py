"""What a certificate holds that the learner's profile now says otherwise, for staff deciding on a reissue.

A certificate freezes the name it prints (and, for MOC credit, the board ID and birth month/day
reported to ACCME) when it is issued; after a profile correction those can differ, and a reissue
is what brings them in line.
"""
from dataclasses import dataclass

from accounts.models import User

from .models import Certificate


@dataclass(frozen=True)
class Difference:
    label: str
    on_certificate: str
    in_profile: str


def _birth(month: int | None, day: int | None) -> str:
    return f"{month}/{day}" if month else ""


def profile_updates(certificate: Certificate, user: User) -> dict:
    """The certificate's columns a reissue would take from the profile now, for those that differ."""
    updates = {}
    if certificate.learner_name != user.name.strip():
        updates["learner_name"] = user.name.strip()
    if certificate.moc_board:
        board_id = next((entry.number for entry in user.board_ids if entry.board == certificate.moc_board), None)
        if board_id and board_id != certificate.moc_board_id:
            updates["moc_board_id"] = board_id
        if user.birth_month and (user.birth_month, user.birth_day) != (certificate.moc_birth_month,
                                                                         certificate.moc_birth_day):
            updates["moc_birth_month"], updates["moc_birth_day"] = user.birth_month, user.birth_day
    return updates


def profile_differences(certificate: Certificate, user: User) -> list[Difference]:
    """Each detail a reissue would change, as the certificate has it and as the profile has it."""
    updates = profile_updates(certificate, user)
    differences = []
    if "learner_name" in updates:
        differences.append(Difference("Name printed", certificate.learner_name, updates["learner_name"]))
    if "moc_board_id" in updates:
        differences.append(Difference(f"{certificate.moc_board} ID reported", certificate.moc_board_id or "",
                                      updates["moc_board_id"]))
    if "moc_birth_month" in updates:
        differences.append(Difference(
            "Birth month/day reported", _birth(certificate.moc_birth_month, certificate.moc_birth_day),
            _birth(updates["moc_birth_month"], updates["moc_birth_day"])))
    return differences


def differences_by_certificate(certificates, user: User) -> dict[int, list[Difference]]:
    """certificate id -> its differences, for the valid certificates among `certificates` that have any."""
    return {certificate.id: differences for certificate in certificates
            if certificate.status == "valid" and (differences := profile_differences(certificate, user))}
