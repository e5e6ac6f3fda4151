"""Closing texts: what a patient reads when the chat ends, per unit and outcome.

Every outcome of the contract (``core.lifecycle.OUTCOME_ORDER``) has a
built-in text in Swedish and English (:data:`DEFAULTS`) that says what the
outcome means for the patient and what happens next. A unit may write its
own (``/admin``, "Texter vid avslut": where its visits are, how it calls
back); migration 0019 keeps them in ``closing_texts``. The API is
:mod:`.closing_api`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatserver.core.lifecycle import OUTCOME_ORDER
from chatserver.storage.plan import Database, Plan, all_rows, execute, one

__all__ = [
    "DEFAULTS",
    "MAX_TEXT",
    "ClosingText",
    "ClosingTextStore",
    "effective",
]

# Read on a phone at the end of a chat: a short paragraph (a banner is 500).
MAX_TEXT = 1000

# (Swedish, English) for each outcome: plain words, what happens next.
DEFAULTS: Mapping[str, tuple[str, str]] = {
    "resolved_in_chat": (
        "Ditt ärende är klart i chatten. Blir du inte bättre, eller blir du sämre,"
        " kan du starta en ny chatt eller ringa 1177.",
        "Your matter was resolved in the chat. If you do not get better, or get worse,"
        " start a new chat or call 1177.",
    ),
    "physical_visit_booked": (
        "Du har fått en tid för besök på hälsocentralen. Tid och plats står i chatten"
        " ovan eller kommer i ett meddelande från hälsocentralen. Kan du inte komma,"
        " ring hälsocentralen och avboka.",
        "You have an appointment at the health centre. The time and place are in the"
        " chat above or will come in a message from the health centre. If you cannot"
        " come, call the health centre to cancel.",
    ),
    "video_visit_booked": (
        "Du har fått en tid för videobesök. Du får en länk inför besöket; tiden står i"
        " chatten ovan. Ha telefonen eller datorn laddad och var på en lugn plats.",
        "You have a video appointment. You will get a link before it; the time is in"
        " the chat above. Have your phone or computer charged and find a quiet place.",
    ),
    "phone_callback": (
        "Vården ringer upp dig. Ha telefonen nära till hands; samtalet kan komma från"
        " ett dolt nummer.",
        "The care team will call you back. Keep your phone close; the call may come"
        " from a hidden number.",
    ),
    "referred_emergency": (
        "Ditt tillstånd behöver akut vård. Ring 112 eller åk till närmaste akutmottagning nu.",
        "Your condition needs emergency care. Call 112 or go to the nearest emergency"
        " department now.",
    ),
    "referred_other_unit": (
        "Ditt ärende passar bättre hos en annan vårdgivare. Vart du ska vända dig står i"
        " chatten ovan. Vid frågor, ring 1177.",
        "Your matter is better handled by another care provider. Where to turn is in the"
        " chat above. If you have questions, call 1177.",
    ),
    "patient_left": (
        "Du avslutade chatten. Behöver du hjälp igen kan du starta en ny chatt eller ringa 1177.",
        "You ended the chat. If you need help again, start a new chat or call 1177.",
    ),
    "no_response": (
        "Chatten avslutades eftersom vi inte fick något svar. Behöver du fortfarande"
        " hjälp kan du starta en ny chatt eller ringa 1177.",
        "The chat was closed because we got no answer. If you still need help, start a"
        " new chat or call 1177.",
    ),
}


@dataclass(frozen=True, slots=True)
class ClosingText:
    """The text shown for ``outcome``: the unit's own (``custom``) or the default."""

    outcome: str
    sv: str
    en: str
    custom: bool

    def to_dict(self) -> dict[str, Any]:
        default_sv, default_en = DEFAULTS[self.outcome]
        return {
            "outcome": self.outcome,
            "sv": self.sv,
            "en": self.en,
            "custom": self.custom,
            "default_sv": default_sv,
            "default_en": default_en,
        }


def effective(outcome: str, own: tuple[str, str] | None) -> ClosingText:
    """The unit's own text for ``outcome`` when it has one, else the default."""
    if own is not None:
        return ClosingText(outcome, own[0], own[1], custom=True)
    sv, en = DEFAULTS[outcome]
    return ClosingText(outcome, sv, en, custom=False)


class ClosingTextStore:
    """The ``closing_texts`` table on either engine (a :class:`Database`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_unit(self, unit_id: str) -> list[ClosingText]:
        """Every outcome's text for the unit, in the contract's order."""
        own = await self.db.read(_own(unit_id))
        return [effective(o, own.get(o)) for o in OUTCOME_ORDER]

    async def text(self, unit_id: str, outcome: str) -> ClosingText:
        row = await self.db.read(_one(unit_id, outcome))
        return effective(outcome, row)

    async def set(
        self, unit_id: str, outcome: str, sv: str, en: str, *, at: float, by: int | None
    ) -> None:
        await self.db.write(_set(unit_id, outcome, sv, en, at, by))

    async def reset(self, unit_id: str, outcome: str) -> bool:
        """Back to the default; whether the unit had its own text."""
        return await self.db.write(_reset(unit_id, outcome))


def _own(unit_id: str) -> Plan[dict[str, tuple[str, str]]]:
    rows = yield all_rows(
        "SELECT outcome, text_sv, text_en FROM closing_texts WHERE unit_id = ?", unit_id
    )
    return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}


def _one(unit_id: str, outcome: str) -> Plan[tuple[str, str] | None]:
    row = yield one(
        "SELECT text_sv, text_en FROM closing_texts WHERE unit_id = ? AND outcome = ?",
        unit_id,
        outcome,
    )
    return None if row is None else (str(row[0]), str(row[1]))


def _set(unit_id: str, outcome: str, sv: str, en: str, at: float, by: int | None) -> Plan[None]:
    yield execute(
        "INSERT INTO closing_texts (unit_id, outcome, text_sv, text_en, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, outcome) DO UPDATE SET"
        " text_sv = excluded.text_sv, text_en = excluded.text_en,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        unit_id,
        outcome,
        sv,
        en,
        at,
        by,
    )


def _reset(unit_id: str, outcome: str) -> Plan[bool]:
    row = yield one(
        "DELETE FROM closing_texts WHERE unit_id = ? AND outcome = ? RETURNING outcome",
        unit_id,
        outcome,
    )
    return row is not None
