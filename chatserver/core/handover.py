"""What travels with a contact to whoever picks it next (pure).

Internal notes, the note of each transfer and the red-flag screen's answers
are contact events; :func:`handovers` turns them, as read in one query
(:func:`chatserver.storage.handover.handover_events`), into one
:class:`Handover` per contact, which the staff's ``assigned`` and ``welcome``
carry with the contact (``contact.handover`` in docs/protocol.md). The triage
reasons travel in the contact itself (``triage.reasons``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chatserver.storage.base import HandoverEvent
from triage import screening


@dataclass(frozen=True, slots=True)
class HandoverNote:
    """An internal note (``kind`` "note") or a transfer's note ("transfer",
    ``to_queue`` the queue it was sent to); ``author`` None: unknown."""

    kind: str
    body: str
    author: str | None
    at: float
    to_queue: str | None = None


@dataclass(frozen=True, slots=True)
class ScreenAnswer:
    """One answer of the red-flag screen at intake, with the question in both languages."""

    id: str
    answer: bool
    sv: str
    en: str


@dataclass(frozen=True, slots=True)
class Handover:
    notes: tuple[HandoverNote, ...] = ()
    screening: tuple[ScreenAnswer, ...] = ()


EMPTY = Handover()


def _screen(answers: Mapping[str, object]) -> tuple[ScreenAnswer, ...]:
    out: list[ScreenAnswer] = []
    for qid, value in answers.items():
        q = screening.CATALOGUE.get(str(qid))
        if q is not None and isinstance(value, bool):
            out.append(ScreenAnswer(q.id, value, q.sv, q.en))
    return tuple(out)


def handovers(events: Iterable[HandoverEvent]) -> dict[str, Handover]:
    """One :class:`Handover` per contact that has anything to hand over.

    A transfer without a note adds nothing; an empty note neither. A contact
    screened twice (it cannot be, but) keeps the last answers.
    """
    notes: dict[str, list[HandoverNote]] = {}
    screens: dict[str, tuple[ScreenAnswer, ...]] = {}
    for e in events:
        if e.kind == "note":
            body = str(e.data.get("body") or "")
            if body:
                notes.setdefault(e.contact_id, []).append(
                    HandoverNote("note", body, e.author, e.at)
                )
        elif e.kind == "transfer":
            body = str(e.data.get("note") or "")
            if body:
                to_queue = e.data.get("to_queue_id")
                notes.setdefault(e.contact_id, []).append(
                    HandoverNote(
                        "transfer",
                        body,
                        e.author,
                        e.at,
                        str(to_queue) if to_queue is not None else None,
                    )
                )
        elif e.kind == "screening":
            answers = e.data.get("answers")
            if isinstance(answers, Mapping):
                screens[e.contact_id] = _screen(answers)
    return {
        cid: Handover(tuple(notes.get(cid, ())), screens.get(cid, ()))
        for cid in notes.keys() | screens.keys()
    }
