"""What the credits layer tells higher layers, which connect to these signals (blinker).

The evaluation: `evaluation_completed` is sent, like the certificate signals, inside its transaction.

Certificates: `certificate_issued`, `certificate_reissued`, `certificate_revoked` and
`certificate_reinstated` are sent
inside the transaction that made the change, once it is flushed, with the session; whatever a
receiver writes commits or rolls back with the change itself.

The transcript: `transcript_notes_wanted` is sent while the transcript is drawn; each receiver
returns TranscriptNotes about the learner's certificates (where their credit was reported, what
the learner must fix), so the transcript can show them without this layer knowing who makes them.
"""
from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

# sender: the new Certificate; keyword: session
certificate_issued = _signals.signal("certificate-issued")
# sender: the replacement Certificate; keywords: session, previous (the superseded Certificate)
certificate_reissued = _signals.signal("certificate-reissued")
# sender: the revoked Certificate; keyword: session
certificate_revoked = _signals.signal("certificate-revoked")
# sender: the new EvaluationResponse; keywords: session, course (the evaluation completes the course)
evaluation_completed = _signals.signal("evaluation-completed")
# sender: the Certificate made valid again after a revocation; keyword: session
certificate_reinstated = _signals.signal("certificate-reinstated")
# sender: the app; keywords: session, user_id, certificates; each receiver returns a list of TranscriptNote
transcript_notes_wanted = _signals.signal("transcript-notes-wanted")


@dataclass(frozen=True)
class TranscriptNote:
    certificate_id: int
    text: str  # e.g. "Reported to ACCME for ABIM MOC on 3 March 2026: accepted."
    to_fix: str | None = None  # what the learner must change before the credit can be reported


def transcript_notes(sender, session, user_id: int, certificates) -> dict[int, list[TranscriptNote]]:
    """Every receiver's notes, by certificate id."""
    notes: dict[int, list[TranscriptNote]] = {}
    for _receiver, answer in transcript_notes_wanted.send(sender, session=session, user_id=user_id,
                                                          certificates=certificates):
        for note in answer or ():
            notes.setdefault(note.certificate_id, []).append(note)
    return notes
