"""Where audit events live: the :class:`AuditStore` interface and its SQLite form.

The chain link is computed *inside* the write transaction (read the last hash,
seal, insert), so concurrent appends from the server and the CLI — which share
SQLite's write lock — always form one unbroken chain. A PostgreSQL store would
do the same under ``LOCK TABLE audit_events IN EXCLUSIVE MODE``.
"""

# SQL here is composed only of module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson

from chatserver.audit.chain import GENESIS_HASH, AuditEvent, canonical_detail, seal

T = TypeVar("T")

COLUMNS = (
    "seq, at, actor_user_id, actor_username, actor_role, actor_units, unit_id, contact_id,"
    " action, result, request_id, detail, prev_hash, hash, mac"
)


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


class AuditStore(Protocol):
    async def append(self, event: AuditEvent, key: bytes) -> AuditEvent:
        """Seal ``event`` as the next link and store it; returns it with seq and hashes."""
        ...

    async def head(self) -> tuple[int, str]:
        """(seq, hash) of the last event; (0, GENESIS_HASH) when empty."""
        ...

    async def scan(self, after_seq: int, limit: int) -> list[AuditEvent]:
        """Events with seq > after_seq in seq order (verification walks these)."""
        ...

    async def query(self, q: AuditQuery) -> list[AuditEvent]: ...

    async def sample(self, q: AuditQuery, n: int, seed: int) -> list[AuditEvent]:
        """``n`` events drawn at random (reproducible by ``seed``) among those matching."""
        ...


class SqlRunner(Protocol):
    """What the SQLite store needs of :class:`~chatserver.storage.sqlite.SqliteStorage`."""

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

    async def run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...


def event_from_row(row: Sequence[Any]) -> AuditEvent:
    return AuditEvent(
        seq=row[0],
        at=row[1],
        actor_user_id=row[2],
        actor_username=row[3],
        actor_role=row[4],
        actor_units=row[5],
        unit_id=row[6],
        contact_id=row[7],
        action=row[8],
        result=row[9],
        request_id=row[10],
        detail=orjson.loads(row[11]),
        prev_hash=row[12],
        hash=row[13],
        mac=row[14],
    )


def _head(conn: sqlite3.Connection) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def append_sql(conn: sqlite3.Connection, event: AuditEvent, key: bytes) -> AuditEvent:
    """Seal and insert inside the caller's write transaction."""
    seq, prev = _head(conn)
    sealed = seal(event, seq + 1, prev, key)
    conn.execute(
        f"INSERT INTO audit_events ({COLUMNS}) VALUES ({', '.join('?' * 15)})",
        (
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
        ),
    )
    return sealed


def _where(q: AuditQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if q.user_id is not None:
        clauses.append("actor_user_id = ?")
        params.append(q.user_id)
    if q.username is not None:
        clauses.append("actor_username = ?")
        params.append(q.username)
    if q.contact_id is not None:
        clauses.append("contact_id = ?")
        params.append(q.contact_id)
    if q.unit_id is not None:
        # The unit an event concerns, or a unit of the person who acted.
        clauses.append("(unit_id = ? OR ',' || actor_units || ',' LIKE ? ESCAPE '\\')")
        escaped = q.unit_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.extend([q.unit_id, f"%,{escaped},%"])
    if q.action is not None:
        clauses.append("action = ?")
        params.append(q.action)
    if q.patient_data_only:
        clauses.append(
            "contact_id IS NOT NULL AND actor_user_id IS NOT NULL AND action NOT LIKE 'audit%'"
        )
    if q.since is not None:
        clauses.append("at >= ?")
        params.append(q.since)
    if q.until is not None:
        clauses.append("at < ?")
        params.append(q.until)
    return (" AND ".join(clauses) or "1"), params


class SqliteAuditStore:
    def __init__(self, runner: SqlRunner) -> None:
        self.runner = runner

    async def append(self, event: AuditEvent, key: bytes) -> AuditEvent:
        return await self.runner.run_write(lambda c: append_sql(c, event, key))

    async def head(self) -> tuple[int, str]:
        return await self.runner.run_read(_head)

    async def scan(self, after_seq: int, limit: int) -> list[AuditEvent]:
        sql = f"SELECT {COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?"
        return await self.runner.run_read(
            lambda c: [event_from_row(r) for r in c.execute(sql, (after_seq, limit))]
        )

    async def query(self, q: AuditQuery) -> list[AuditEvent]:
        where, params = _where(q)
        sql = f"SELECT {COLUMNS} FROM audit_events WHERE {where} ORDER BY seq LIMIT ?"
        return await self.runner.run_read(
            lambda c: [event_from_row(r) for r in c.execute(sql, (*params, q.limit))]
        )

    async def sample(self, q: AuditQuery, n: int, seed: int) -> list[AuditEvent]:
        """Reservoir-free sampling: pick ``n`` seqs among the matching ones."""
        where, params = _where(q)
        seqs_sql = f"SELECT seq FROM audit_events WHERE {where}"
        seqs = await self.runner.run_read(
            lambda c: [int(r[0]) for r in c.execute(seqs_sql, params)]
        )
        chosen = sorted(random.Random(seed).sample(seqs, min(n, len(seqs))))  # noqa: S311
        if not chosen:
            return []
        sql = (
            f"SELECT {COLUMNS} FROM audit_events WHERE seq IN ({', '.join('?' * len(chosen))})"
            " ORDER BY seq"
        )
        return await self.runner.run_read(
            lambda c: [event_from_row(r) for r in c.execute(sql, chosen)]
        )


def store_for(storage: Any) -> AuditStore:
    """The audit store of a storage backend (PostgreSQL's own, else the SQLite runner)."""
    from chatserver.storage.postgres import PostgresStorage  # noqa: PLC0415 - optional backend

    if isinstance(storage, PostgresStorage):
        from chatserver.storage.postgres_audit import PostgresAuditStore  # noqa: PLC0415

        return PostgresAuditStore(storage)
    if hasattr(storage, "run_write") and hasattr(storage, "run_read"):
        return SqliteAuditStore(storage)
    raise TypeError(f"no audit store for {type(storage).__name__}")
