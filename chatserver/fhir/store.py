"""What the FHIR export reads: :class:`FhirStore`, plans over the
:class:`~chatserver.storage.plan.Database` port (SQLite and PostgreSQL alike).

The transcript is read with each staff message's author (``sender_key``
``s:<user id>``, which the core's ``Message`` does not carry) and each photo's
SHA-1, computed here from the stored bytes because FHIR R4 ``Attachment.hash``
is a SHA-1 and the service stores only a SHA-256.
"""

# SQL here is built only from module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from chatserver.storage.plan import Database, Dialect, Plan, all_rows
from chatserver.storage.rows import loads

from .mapping import ExportMessage, StaffMember

__all__ = ["FhirStore"]

_STAFF_KEY = "s:"


def _author(sender_key: str) -> int | None:
    if sender_key.startswith(_STAFF_KEY) and sender_key[2:].isdigit():
        return int(sender_key[2:])
    return None


def _messages(contact_id: str) -> Plan[list[ExportMessage]]:
    rows = yield all_rows(
        "SELECT seq, sender, sender_key, sender_name, body, sent_at, attachment"
        " FROM messages WHERE contact_id = ? ORDER BY seq",
        contact_id,
    )
    sha1: dict[str, bytes] = {}
    if any(r[6] is not None for r in rows):
        photos = yield all_rows("SELECT id, data FROM attachments WHERE contact_id = ?", contact_id)
        sha1 = {p[0]: hashlib.sha1(bytes(p[1])).digest() for p in photos}  # noqa: S324 (FHIR R4 Attachment.hash)
    out = []
    for r in rows:
        attachment: dict[str, Any] | None = None
        if r[6] is not None:
            attachment = dict(loads(r[6]))
            if attachment.get("id") in sha1:
                attachment["sha1"] = sha1[attachment["id"]]
        out.append(
            ExportMessage(
                seq=int(r[0]),
                sender=r[1],
                sender_name=r[3],
                body=r[4],
                sent_at=float(r[5]),
                user_id=_author(r[2]),
                attachment=attachment,
            )
        )
    return out


def _staff(d: Dialect, user_ids: Sequence[int]) -> Plan[dict[int, StaffMember]]:
    cond, params = d.any_of("id", list(user_ids))
    rows = yield all_rows(f"SELECT id, display_name, hsa_id FROM users WHERE {cond}", *params)
    return {int(r[0]): StaffMember(int(r[0]), r[1], r[2]) for r in rows}


def _contacts_between(
    d: Dialect, start: float, end: float, unit_ids: Sequence[str] | None
) -> Plan[list[str]]:
    sql = "SELECT id FROM contacts WHERE created_at >= ? AND created_at < ?"
    params: tuple[Any, ...] = (start, end)
    if unit_ids is not None:
        cond, more = d.any_of("unit_id", list(unit_ids))
        sql, params = f"{sql} AND {cond}", (*params, *more)
    rows = yield all_rows(f"{sql} ORDER BY created_at, id", *params)
    return [r[0] for r in rows]


class FhirStore:
    """The export's reads, on either engine."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def messages(self, contact_id: str) -> list[ExportMessage]:
        """The transcript in ``seq`` order, with authors and photo SHA-1s."""
        return await self.db.read(_messages(contact_id))

    async def staff(self, user_ids: Sequence[int]) -> dict[int, StaffMember]:
        """The accounts among ``user_ids`` that exist, by id."""
        if not user_ids:
            return {}
        return await self.db.read(_staff(self.db.dialect, sorted(set(user_ids))))

    async def contacts_between(
        self, start: float, end: float, unit_ids: Sequence[str] | None = None
    ) -> list[str]:
        """Ids of contacts created in [start, end), oldest first (all units
        when ``unit_ids`` is None)."""
        return await self.db.read(_contacts_between(self.db.dialect, start, end, unit_ids))
