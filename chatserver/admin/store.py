"""Storage of operations: hours, banners, legal holds, retention, and the admin
changes to units, queues and users that the core Storage interface lacks.

:class:`OperationsStore` runs each operation as a plan (:mod:`chatserver.storage.plan`)
on either engine; what differs between them is the dialect's locks. Tables: migration 0005.
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from chatserver.storage import directory
from chatserver.storage.base import Conflict, NotFound, Queue, Unit, User
from chatserver.storage.plan import (
    Database,
    Dialect,
    Plan,
    all_rows,
    count,
    execute,
    many,
    marks,
    one,
    value,
)
from chatserver.storage.rows import USER_COLUMNS, dumps, user_from_row

__all__ = ["PURGE_BATCH", "UNSET", "Banner", "OperationsStore"]

# Contacts purged per write transaction: keeps each transaction short so
# chat writes queued behind it are not delayed noticeably.
PURGE_BATCH = 200
# Free-text columns of feature tables: (table, column, replacement). Survey
# comments are optional (NULL). Migration 0003 precedes 0005, so they exist.
FEATURE_FREE_TEXT: tuple[tuple[str, str, str | None], ...] = (("survey_answers", "comment", None),)
# Keys of contact_events.data (a JSON object) that hold free text (notes, transfer notes).
EVENT_FREE_TEXT_KEYS = frozenset({"body", "note", "text", "comment", "reason"})
# The key of each triage reason that quotes the patient's words.
REASON_FREE_TEXT_KEYS = frozenset({"matched"})
# The key of a message's photo metadata that identifies the purged photo.
PHOTO_HASH_KEYS = frozenset({"sha256"})

# "Leave unchanged" for :meth:`OperationsStore.update_queue` (None means "no limit").
UNSET: Any = object()

# In the order of :class:`Banner`'s fields.
BANNER_COLUMNS = "id, severity, message_sv, message_en, created_at, created_by, ends_at, ended_at"


@dataclass(frozen=True, slots=True)
class Banner:
    id: int
    severity: str  # info | warning | critical
    message_sv: str
    message_en: str
    created_at: float
    created_by: int | None
    ends_at: float | None
    ended_at: float | None

    def active_at(self, now: float) -> bool:
        return self.ended_at is None and (self.ends_at is None or now < self.ends_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "message": {"sv": self.message_sv, "en": self.message_en},
            "created_at": self.created_at,
            "ends_at": self.ends_at,
            "ended_at": self.ended_at,
        }


class OperationsStore:
    """The operations tables (and admin changes) on either engine (a :class:`Database`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- hours -------------------------------------------------------------
    async def all_hours(self) -> dict[str, dict[str, Any]]:
        """Configured hours documents by unit id."""
        return await self.db.read(_all_hours())

    async def set_hours(
        self, unit_id: str, hours: dict[str, Any] | None, *, at: float, by: int | None
    ) -> None:
        """Store (None: remove, i.e. back to the default). NotFound for an unknown unit."""
        await self.db.write(_set_hours(unit_id, hours, at, by))

    # -- units and queues --------------------------------------------------
    async def update_unit(
        self,
        unit_id: str,
        *,
        name: str | None,
        always_open: bool | None,
        rollout: str | None,
        identification: Any = UNSET,
    ) -> Unit | None:
        """``identification``: 'optional', 'required', None (the global setting)
        or the ``UNSET`` sentinel (unchanged)."""
        changes = {"name": name, "always_open": always_open, "rollout": rollout}
        return await self.db.write(_update_unit(unit_id, changes, identification))

    async def add_queue(self, queue: Queue) -> None:
        """Conflict if the unit already has that competence; NotFound for an unknown unit."""
        await self.db.write(_add_queue(queue))

    async def update_queue(
        self, queue_id: str, *, name: str | None, max_waiting: Any
    ) -> Queue | None:
        """``max_waiting``: int, None (no limit) or the ``UNSET`` sentinel (unchanged)."""
        return await self.db.write(_update_queue(queue_id, name, max_waiting))

    # -- users -------------------------------------------------------------
    async def list_users(self) -> list[User]:
        return await self.db.read(_list_users())

    async def update_user(
        self,
        user_id: int,
        *,
        display_name: str | None,
        role: str | None,
        unit_ids: Sequence[str] | None,
        disabled: bool | None,
    ) -> User | None:
        changes = {"display_name": display_name, "role": role, "disabled": disabled}
        units = None if unit_ids is None else tuple(sorted(set(unit_ids)))
        return await self.db.write(_update_user(self.db.dialect, user_id, changes, units))

    async def set_totp_secret(self, user_id: int, secret: str | None) -> bool:
        return await self.db.write(
            _changed_one("UPDATE users SET totp_secret = ? WHERE id = ?", secret, user_id)
        )

    async def delete_sessions(self, user_id: int) -> list[str]:
        """Delete every session of the user; returns their id hashes."""
        return await self.db.write(_delete_sessions(user_id))

    # -- banners -------------------------------------------------------------
    async def add_banner(
        self,
        *,
        severity: str,
        message_sv: str,
        message_en: str,
        at: float,
        by: int | None,
        ends_at: float | None,
    ) -> Banner:
        """Publish a banner; the previously open one is ended at ``at``."""
        new = {
            "severity": severity,
            "message_sv": message_sv,
            "message_en": message_en,
            "created_at": at,
            "created_by": by,
            "ends_at": ends_at,
        }
        return await self.db.write(_add_banner(self.db.dialect, new))

    async def end_banner(self, banner_id: int, *, at: float, by: int | None) -> Banner | None:
        return await self.db.write(_end_banner(banner_id, at, by))

    async def banners(self, limit: int) -> list[Banner]:
        """Newest first."""
        return await self.db.read(_banners(limit))

    # -- legal hold and retention ---------------------------------------------
    async def set_legal_hold(
        self, contact_id: str, *, hold: bool, reason: str, at: float, by: int | None
    ) -> bool:
        """True when the flag changed. NotFound for an unknown contact."""
        return await self.db.write(_set_legal_hold(contact_id, hold, reason, at, by))

    async def legal_hold(self, contact_id: str) -> bool:
        sql = "SELECT 1 FROM legal_holds WHERE contact_id = ?"
        return await self.db.read(_exists(sql, contact_id))

    async def purge_before(self, cutoff: float, *, at: float) -> list[str]:
        """Purge free text of up to PURGE_BATCH contacts ended before ``cutoff``
        (not on legal hold, not yet purged); returns their ids."""
        return await self.db.write(_purge(self.db.dialect, cutoff, at))


# -- plans: small pieces ------------------------------------------------------


def _exists(sql: str, *params: Any) -> Plan[bool]:
    found = yield value(sql, *params)
    return found is not None


def _require(table: str, key: str) -> Plan[None]:
    """NotFound unless the row ``key`` of ``table`` (a constant) exists."""
    if not (yield from _exists(f"SELECT 1 FROM {table} WHERE id = ?", key)):
        raise NotFound(key)


def _changed_one(sql: str, *params: Any) -> Plan[bool]:
    n = yield count(sql, *params)
    return bool(n == 1)


def _set_columns(table: str, key: Any, changes: dict[str, Any]) -> Plan[None]:
    """``UPDATE table SET column = value`` for each change that is not None
    (table and column names are constants of this module, never input)."""
    for column, new in changes.items():
        if new is not None:
            yield execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", new, key)


def _without(doc: Any, keys: frozenset[str]) -> Any:
    """``doc`` without ``keys`` when it is a JSON object (as SQL's ``json_remove``)."""
    return {k: v for k, v in doc.items() if k not in keys} if isinstance(doc, dict) else doc


# -- plans: hours, units, queues ------------------------------------------------


def _all_hours() -> Plan[dict[str, dict[str, Any]]]:
    rows = yield all_rows("SELECT unit_id, hours FROM unit_hours")
    return {r[0]: orjson.loads(r[1]) for r in rows}


def _set_hours(unit_id: str, hours: dict[str, Any] | None, at: float, by: int | None) -> Plan[None]:
    yield from _require("units", unit_id)
    if hours is None:
        yield execute("DELETE FROM unit_hours WHERE unit_id = ?", unit_id)
        return
    yield execute(
        "INSERT INTO unit_hours (unit_id, hours, updated_at, updated_by) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (unit_id) DO UPDATE SET hours = excluded.hours,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        unit_id,
        dumps(hours),
        at,
        by,
    )


def _update_unit(unit_id: str, changes: dict[str, Any], identification: Any) -> Plan[Unit | None]:
    yield from _set_columns("units", unit_id, changes)
    if identification is not UNSET:  # None is a value here: "the global setting"
        yield from directory.set_unit_identification(unit_id, identification)
    return (yield from directory.get_unit(unit_id))


def _add_queue(queue: Queue) -> Plan[None]:
    yield from _require("units", queue.unit_id)
    if (yield from _exists("SELECT 1 FROM queues WHERE id = ?", queue.id)):
        raise Conflict(queue.id)
    yield execute(
        "INSERT INTO queues (id, unit_id, competence, name, max_waiting) VALUES (?, ?, ?, ?, ?)",
        queue.id,
        queue.unit_id,
        queue.competence,
        queue.name,
        queue.max_waiting,
    )


def _update_queue(queue_id: str, name: str | None, max_waiting: Any) -> Plan[Queue | None]:
    yield from _set_columns("queues", queue_id, {"name": name})
    if max_waiting is not UNSET:  # None is a value here: "no limit"
        yield execute("UPDATE queues SET max_waiting = ? WHERE id = ?", max_waiting, queue_id)
    return (yield from directory.get_queue(queue_id))


# -- plans: users -----------------------------------------------------------------


def _list_users() -> Plan[list[User]]:
    units: dict[int, list[str]] = {}
    for uid, unit in (yield all_rows("SELECT user_id, unit_id FROM user_units ORDER BY unit_id")):
        units.setdefault(uid, []).append(unit)
    rows = yield all_rows(f"SELECT {USER_COLUMNS} FROM users ORDER BY username")
    return [user_from_row(r, tuple(units.get(r[0], ()))) for r in rows]


def _update_user(
    d: Dialect, user_id: int, changes: dict[str, Any], unit_ids: tuple[str, ...] | None
) -> Plan[User | None]:
    if not (yield from _exists(f"SELECT 1 FROM users WHERE id = ?{d.for_update}", user_id)):
        return None
    yield from _set_columns("users", user_id, changes)
    if unit_ids is not None:
        where, params = d.any_of("id", unit_ids)
        known = {r[0] for r in (yield all_rows(f"SELECT id FROM units WHERE {where}", *params))}
        missing = [u for u in unit_ids if u not in known]
        if missing:
            raise NotFound(f"unknown units {missing!r}")
        yield execute("DELETE FROM user_units WHERE user_id = ?", user_id)
        yield many(
            "INSERT INTO user_units (user_id, unit_id) VALUES (?, ?)",
            [(user_id, u) for u in unit_ids],
        )
    return (yield from directory.get_user(user_id))


def _delete_sessions(user_id: int) -> Plan[list[str]]:
    rows = yield all_rows("DELETE FROM sessions WHERE user_id = ? RETURNING id_hash", user_id)
    return [r[0] for r in rows]


# -- plans: banners -----------------------------------------------------------------


def _add_banner(d: Dialect, new: dict[str, Any]) -> Plan[Banner]:
    """Insert ``new`` (column: value, columns of this module) as the one open banner."""
    lock = d.lock_table("banners")
    if lock:  # publishers on all instances in turn: at most one banner stays open
        yield execute(lock)
    yield execute(
        "UPDATE banners SET ended_at = ?, ended_by = ? WHERE ended_at IS NULL",
        new["created_at"],
        new["created_by"],
    )
    row = yield one(
        f"INSERT INTO banners ({', '.join(new)}) VALUES ({marks(len(new))})"
        f" RETURNING {BANNER_COLUMNS}",
        *new.values(),
    )
    return Banner(*row)


def _end_banner(banner_id: int, at: float, by: int | None) -> Plan[Banner | None]:
    yield execute(
        "UPDATE banners SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL",
        at,
        by,
        banner_id,
    )
    row = yield one(f"SELECT {BANNER_COLUMNS} FROM banners WHERE id = ?", banner_id)
    return None if row is None else Banner(*row)


def _banners(limit: int) -> Plan[list[Banner]]:
    rows = yield all_rows(f"SELECT {BANNER_COLUMNS} FROM banners ORDER BY id DESC LIMIT ?", limit)
    return [Banner(*r) for r in rows]


# -- plans: legal hold and retention ------------------------------------------------


def _set_legal_hold(
    contact_id: str, hold: bool, reason: str, at: float, by: int | None
) -> Plan[bool]:
    yield from _require("contacts", contact_id)
    if hold:
        return (
            yield from _changed_one(
                "INSERT INTO legal_holds (contact_id, reason, set_at, set_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (contact_id) DO NOTHING",
                contact_id,
                reason,
                at,
                by,
            )
        )
    return (yield from _changed_one("DELETE FROM legal_holds WHERE contact_id = ?", contact_id))


def _purge(d: Dialect, cutoff: float, at: float) -> Plan[list[str]]:
    # Closed contacts by their closing time; emergency advice (never queued,
    # never closed) by its intake time. SKIP LOCKED (PostgreSQL): two
    # instances' sweepers purge different contacts, never the same one twice.
    due = yield all_rows(
        "SELECT id, reasons FROM contacts WHERE ((status = 'closed' AND closed_at < ?)"
        " OR (status = 'emergency_advised' AND created_at < ?))"
        " AND id NOT IN (SELECT contact_id FROM legal_holds)"
        " AND id NOT IN (SELECT contact_id FROM retention_purges)"
        f" ORDER BY id LIMIT ?{d.skip_locked}",
        cutoff,
        cutoff,
        PURGE_BATCH,
    )
    if not due:
        return []
    ids = [r[0] for r in due]
    of_ids, id_params = d.any_of("contact_id", ids)
    # Triage reasons quote the words that matched a rule: drop the quotes, keep the rules.
    # (JSON is edited here, not in SQL, so both engines run the same statements.)
    # The patient token's hash goes too: a purged chat opens for no one.
    yield many(
        "UPDATE contacts SET name = '', text = '', reasons = ?, patient_token_hash = NULL"
        " WHERE id = ?",
        [
            (dumps([_without(r, REASON_FREE_TEXT_KEYS) for r in orjson.loads(reasons)]), cid)
            for cid, reasons in due
        ],
    )
    # The patient's name is also the sender name of their messages.
    yield execute(
        "UPDATE messages SET body = '',"
        " sender_name = CASE WHEN sender = 'patient' THEN '' ELSE sender_name END"
        f" WHERE {of_ids}",
        *id_params,
    )
    # Photos (migration 0015) go with the words: the image and thumbnail rows.
    # Their messages keep that a photo was there (id, type, size) but not its
    # hash, which would recognise the photo.
    yield execute(f"DELETE FROM attachments WHERE {of_ids}", *id_params)
    photos = yield all_rows(
        f"SELECT contact_id, seq, attachment FROM messages WHERE {of_ids}"
        " AND attachment IS NOT NULL",
        *id_params,
    )
    yield many(
        "UPDATE messages SET attachment = ? WHERE contact_id = ? AND seq = ?",
        [(dumps(_without(orjson.loads(a), PHOTO_HASH_KEYS)), cid, seq) for cid, seq, a in photos],
    )
    events = yield all_rows(f"SELECT id, data FROM contact_events WHERE {of_ids}", *id_params)
    yield many(
        "UPDATE contact_events SET data = ? WHERE id = ?",
        [
            (dumps(_without(doc, EVENT_FREE_TEXT_KEYS)), eid)
            for eid, doc in ((r[0], orjson.loads(r[1])) for r in events)
            if isinstance(doc, dict) and not EVENT_FREE_TEXT_KEYS.isdisjoint(doc)
        ],
    )
    for table, column, replacement in FEATURE_FREE_TEXT:
        yield execute(f"UPDATE {table} SET {column} = ? WHERE {of_ids}", replacement, *id_params)
    yield many(
        "INSERT INTO retention_purges (contact_id, purged_at) VALUES (?, ?)",
        [(cid, at) for cid in ids],
    )
    return ids
