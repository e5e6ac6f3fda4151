"""What a patient's credentials still open, and what patient-facing replies show.

Pure rules, no I/O (docs/security.md "Patient tokens"):

- an emergency answer (200, 112 advice) may be acknowledged only for
  ``emergency_ack_window_s`` after it was given: the contact id is then no
  longer a way to a fresh patient token;
- a patient token stops working ``patient_token_after_close_s`` after its
  contact was closed (the purge also removes the token's hash);
- triage reasons sent to the patient (intake, acknowledgement, a later raise)
  never quote the patient's text: the words that made a rule or the learned
  safety net fire stay with staff. A screen or follow-up question's own text
  (a reason with ``question``) is not the patient's text and is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chatserver.core.lifecycle import ContactStatus
from chatserver.storage.base import Contact

# Reason keys that carry words of the patient's own text (triage.Reason.matched).
QUOTE_KEYS = ("matched",)


def ack_window_over(advised_at: float, now: float, window_s: float) -> bool:
    """True once the emergency answer given at ``advised_at`` can no longer be acknowledged."""
    return now - advised_at > window_s


def token_expired(contact: Contact, now: float, after_close_s: float) -> bool:
    """True when ``contact``'s patient token no longer opens it: closed longer ago
    than ``after_close_s``. An open contact's token always works."""
    if contact.status != ContactStatus.CLOSED or contact.closed_at is None:
        return False
    return now - contact.closed_at >= after_close_s


def patient_reason(reason: Mapping[str, Any]) -> dict[str, Any]:
    """One triage reason as the patient sees it: the rule, its level, and for a
    screen or follow-up question the question; never the matched words."""
    out = dict(reason)
    if out.get("question") is None:
        for key in QUOTE_KEYS:
            if key in out:
                out[key] = []
    return out


def patient_reasons(reasons: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [patient_reason(r) for r in reasons]
