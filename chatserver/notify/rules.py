"""Who is told what, and when (pure): the notifications while away.

Contract (PROTOCOL.md "Notifications while away"): a patient with no open
socket is told when a staff member picks the contact (``picked``), writes to
them (``message``) or closes it (``closed``); staff with no open socket are
told of a new red-flag contact in their units (``red_flag``). Here a red flag
is a contact queued with the red-flag mark (an acknowledged emergency) or at
level ``emergency`` or ``urgent`` (the levels the escalation rules also treat
as red flags, docs/operations.md).

The payload says only what happened and where to go: never message text,
names, triage or the contact's id (docs/protocol.md "Push payload"). The
browser's service worker picks the localized words by ``type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import orjson

from chatserver.hooks import ContactNotice

__all__ = [
    "RED_FLAG_LEVELS",
    "Delivery",
    "PushKind",
    "away",
    "delivery_for",
    "is_red_flag",
    "payload",
]

PushKind = Literal["picked", "message", "closed", "red_flag"]
Audience = Literal["patient", "staff"]

RED_FLAG_LEVELS = frozenset({"emergency", "urgent"})

# Where a click on the notification leads: the patient's chat, the staff dashboard.
LINKS: Mapping[Audience, str] = {"patient": "/", "staff": "/staff"}


@dataclass(frozen=True, slots=True)
class Delivery:
    """What to send for one notice: the push kind, to whom, and whether the
    patient's SMS number (if any) gets the "your turn" text too."""

    kind: PushKind
    audience: Audience
    sms: bool = False
    # After sending: the patient's subscriptions are deleted (the chat is over).
    forget_after: bool = False


def is_red_flag(level: str, red_flag: bool) -> bool:
    return red_flag or level in RED_FLAG_LEVELS


def delivery_for(notice: ContactNotice) -> Delivery | None:
    """What ``notice`` asks to send, before knowing who is connected."""
    match notice.kind:
        case "picked":
            return Delivery("picked", "patient", sms=True)
        case "message":
            return Delivery("message", "patient")
        case "closed":
            return Delivery("closed", "patient", forget_after=True)
        case "queued":
            if is_red_flag(notice.level, notice.red_flag):
                return Delivery("red_flag", "staff")
            return None


def away(recipients: Mapping[str, bool]) -> list[str]:
    """Of the recipients (key -> has an open socket anywhere), those to notify."""
    return sorted(key for key, connected in recipients.items() if not connected)


def payload(kind: PushKind, audience: Audience) -> bytes:
    """The push message's plaintext: what happened and a link, nothing else."""
    return orjson.dumps({"type": kind, "url": LINKS[audience]})
