"""Where audit events live: :class:`AuditStore`, one implementation for both engines.

The chain link is computed *inside* the write transaction (read the last hash,
seal, insert), so concurrent appends always form one unbroken chain: on SQLite
the server and the CLI share the single write lock; on PostgreSQL every
instance first takes ``LOCK TABLE audit_events IN EXCLUSIVE MODE`` (the
dialect's ``lock_table``; readers are not blocked).
"""

# SQL here is composed only of module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from chatserver.audit.chain import GENESIS_HASH, AuditEvent, canonical_detail, seal
from chatserver.storage.plan import Database, Dialect, Plan, all_rows, execute, marks, one

__all__ = ["COLUMNS", "AuditQuery", "AuditStore"]

COLUMNS = (
    "seq, at, actor_user_id, actor_username, actor_role, actor_units, unit_id, contact_id,"
    " action, result, request_id, detail, prev_hash, hash, mac"
)
_FIELDS = [name.strip() for name in COLUMNS.split(",")]  # named as AuditEvent's fields
_HEAD = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of the log review; every one optional, combined with AND."""

    user_id: int | None = None
    username: str | None = None
    contact_id: str | None = None
    unit_id: str | None = None
    action: str | None = None
    since: str | None = None  # inclusive, same text format as ``at``
    until: str | None = None  # exclusive
    # Only staff accesses to a contact (the sample of the periodic review).
    patient_data_only: bool = False
    limit: int = 1000


class AuditStore:
    """The ``audit_events`` table on either engine (a :class:`Database`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(self, event: AuditEvent, key: bytes) -> AuditEvent:
        """Seal ``event`` as the next link and store it; returns it with seq and hashes."""
        return await self.db.write(_append(self.db.dialect, event, key))

    async def head(self) -> tuple[int, str]:
        """(seq, hash) of the last event; (0, GENESIS_HASH) when empty."""
        return await self.db.read(_head())

    async def scan(self, after_seq: int, limit: int) -> list[AuditEvent]:
        """Events with seq > after_seq in seq order (verification walks these)."""
        return await self.db.read(
            _events(
                f"SELECT {COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",
                after_seq,
                limit,
            )
        )

    async def query(self, q: AuditQuery) -> list[AuditEvent]:
        where, params = _where(q)
        sql = f"SELECT {COLUMNS} FROM audit_events WHERE {where} ORDER BY seq LIMIT ?"
        return await self.db.read(_events(sql, *params, q.limit))

    async def sample(self, q: AuditQuery, n: int, seed: int) -> list[AuditEvent]:
        """``n`` events drawn at random (reproducible by ``seed``) among those matching."""
        return await self.db.read(_sample(self.db.dialect, q, n, seed))


def event_from_row(row: Sequence[Any]) -> AuditEvent:
    fields = dict(zip(_FIELDS, row, strict=True))
    fields["detail"] = orjson.loads(fields["detail"])
    return AuditEvent(**fields)


def _head() -> Plan[tuple[int, str]]:
    row = yield one(_HEAD)
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def _append(d: Dialect, event: AuditEvent, key: bytes) -> Plan[AuditEvent]:
    lock = d.lock_table("audit_events")
    if lock:  # other instances wait here until this append commits
        yield execute(lock)
    seq, prev = yield from _head()
    sealed = seal(event, seq + 1, prev, key)
    yield execute(
        f"INSERT INTO audit_events ({COLUMNS}) VALUES ({marks(15)})",
        sealed.seq,
        sealed.at,
        sealed.actor_user_id,
        sealed.actor_username,
        sealed.actor_role,
        sealed.actor_units,
        sealed.unit_id,
        sealed.contact_id,
        sealed.action,
        sealed.result,
        sealed.request_id,
        canonical_detail(sealed.detail),
        sealed.prev_hash,
        sealed.hash,
        sealed.mac,
    )
    return sealed


def _events(sql: str, *params: Any) -> Plan[list[AuditEvent]]:
    rows = yield all_rows(sql, *params)
    return [event_from_row(r) for r in rows]


def _sample(d: Dialect, q: AuditQuery, n: int, seed: int) -> Plan[list[AuditEvent]]:
    """Pick ``n`` of the matching seqs (in seq order, so a seed draws the same
    events on either engine), then read those events."""
    where, params = _where(q)
    rows = yield all_rows(f"SELECT seq FROM audit_events WHERE {where} ORDER BY seq", *params)
    seqs = [int(r[0]) for r in rows]
    chosen = sorted(random.Random(seed).sample(seqs, min(n, len(seqs))))  # noqa: S311
    if not chosen:
        return []
    among, chosen_params = d.any_of("seq", chosen)
    sql = f"SELECT {COLUMNS} FROM audit_events WHERE {among} ORDER BY seq"
    return (yield from _events(sql, *chosen_params))


# Filters that compare one column with the filter's value: (field of AuditQuery, clause).
_COMPARISONS = (
    ("user_id", "actor_user_id = ?"),
    ("username", "actor_username = ?"),
    ("contact_id", "contact_id = ?"),
    ("action", "action = ?"),
    ("since", "at >= ?"),
    ("until", "at < ?"),
)


def _where(q: AuditQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for name, clause in _COMPARISONS:
        wanted = getattr(q, name)
        if wanted is not None:
            clauses.append(clause)
            params.append(wanted)
    if q.unit_id is not None:
        # The unit an event concerns, or a unit of the person who acted.
        clauses.append("(unit_id = ? OR ',' || actor_units || ',' LIKE ? ESCAPE '\\')")
        escaped = q.unit_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.extend([q.unit_id, f"%,{escaped},%"])
    if q.patient_data_only:
        clauses.append(
            "contact_id IS NOT NULL AND actor_user_id IS NOT NULL AND action NOT LIKE 'audit%'"
        )
    return (" AND ".join(clauses) or "1 = 1"), params
