"""Storage operations written once: sans-I/O *plans* and the two drivers that run them.

A plan is a generator that yields :class:`Query` values and receives each
query's result; its return value is the operation's result::

    def pick(d: Dialect, queue_ids: Sequence[str], ...) -> Plan[Contact | None]:
        row = yield one(f"SELECT id FROM contacts WHERE ... LIMIT 1{d.skip_locked}", ...)
        if row is None:
            return None
        yield count("UPDATE contacts SET status = 'assigned' ... WHERE id = ?", ...)
        ...

The plan holds the logic and the SQL (with ``?`` placeholders, and the few
engine differences taken from its :class:`Dialect`); it does no I/O. Two
drivers carry it out:

* :func:`run_sync` on a ``sqlite3`` connection: on the SQLite writer thread,
  inside the group-commit transaction and the operation's SAVEPOINT, or on a
  reader thread;
* :func:`run_async` on an ``asyncpg`` connection, inside one transaction.

So each operation exists once, both engines run the same statements, and the
SQLite group commit stays (docs/architecture.md, "The dialect layer").
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol, TypeAlias, TypeVar

__all__ = [
    "POSTGRES",
    "SQLITE",
    "Database",
    "Dialect",
    "Plan",
    "Query",
    "all_rows",
    "count",
    "execute",
    "many",
    "marks",
    "numbered",
    "one",
    "run_async",
    "run_sync",
    "value",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Mode: TypeAlias = Literal["all", "one", "value", "count", "many"]


@dataclass(frozen=True, slots=True)
class Query:
    """One statement of a plan. ``mode`` says what the plan receives back:

    * ``all``: every row (a list of tuples or records, indexable by position);
    * ``one``: the first row or ``None``;
    * ``value``: the first column of the first row, or ``None``;
    * ``count``: the number of rows the statement changed;
    * ``many``: ``params`` is a sequence of parameter tuples (executemany); ``None``.
    """

    sql: str
    params: Sequence[Any] = ()
    mode: Mode = "count"


Plan: TypeAlias = Generator[Query, Any, T]


def all_rows(sql: str, *params: Any) -> Query:
    return Query(sql, params, "all")


def one(sql: str, *params: Any) -> Query:
    return Query(sql, params, "one")


def value(sql: str, *params: Any) -> Query:
    return Query(sql, params, "value")


def count(sql: str, *params: Any) -> Query:
    return Query(sql, params, "count")


execute = count  # a statement whose row count the plan ignores


def many(sql: str, rows: Sequence[Sequence[Any]]) -> Query:
    return Query(sql, rows, "many")


def marks(n: int) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list of ``n`` values."""
    return ", ".join("?" * n)


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the engines, and nothing else.

    Plans write ``?`` placeholders; :meth:`sql` turns them into ``$1, $2, ...``
    for PostgreSQL (a ``?`` must therefore never appear inside an SQL string
    literal). Row locks are empty on SQLite, where the single writer already
    serialises every read-then-write.

    What is *not* here because both engines spell it the same: upserts
    (``ON CONFLICT ... DO UPDATE SET x = excluded.x``, ``DO NOTHING``),
    ``RETURNING``, ``TRUE``/``FALSE``, ``CAST(? AS BIGINT)``, row values and
    ``NULLS LAST`` (SQLite >= 3.35 for all of them).
    """

    name: Literal["sqlite", "postgresql"]
    for_update: str  # appended to a SELECT that is followed by a write of the row
    skip_locked: str  # appended to a SELECT that picks one of several rows
    for_update_of_contacts: str  # as for_update, in a join: lock only the contact row

    def sql(self, text: str) -> str:
        return text if self.name == "sqlite" else _numbered(text)

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        """``column`` is one of ``values``: the condition and its parameters.

        SQLite binds each value (``IN (?, ?)``); PostgreSQL binds one array
        (``= ANY(?)``), so the statement text, and asyncpg's prepared
        statement, does not change with the number of values.
        """
        if self.name == "sqlite":
            return f"{column} IN ({marks(len(values))})", tuple(values)
        return f"{column} = ANY(?)", (list(values),)

    def lock_table(self, table: str) -> str:
        """A statement that lets one writer at a time change ``table`` (a constant)
        until commit, readers unblocked: for a read-then-insert over the whole
        table across instances (the audit chain's head, the one open banner).
        Empty on SQLite, whose single writer already serialises them."""
        return "" if self.name == "sqlite" else f"LOCK TABLE {table} IN EXCLUSIVE MODE"

    def json_text(self, column: str, key: str) -> str:
        """The text of top-level ``key`` of a JSON-text column (``key`` is a constant)."""
        if self.name == "sqlite":
            return f"json_extract({column}, '$.{key}')"
        return f"{column}::jsonb ->> '{key}'"

    def truncated(self, expr: str) -> str:
        """The integer part of the number ``expr`` (toward zero). ``CAST(x AS
        INTEGER)`` truncates on SQLite but rounds on PostgreSQL."""
        if self.name == "sqlite":
            return f"CAST({expr} AS INTEGER)"
        return f"CAST(trunc({expr}) AS BIGINT)"

    @property
    def join_in_order(self) -> str:
        """``a <join> b ON ...`` joining in the order written: SQLite's planner
        takes ``CROSS JOIN`` as that hint; PostgreSQL rejects ``CROSS JOIN ... ON``
        and needs no hint."""
        return "CROSS JOIN" if self.name == "sqlite" else "JOIN"

    @property
    def try_lock(self) -> str | None:
        """A ``SELECT`` of one boolean: true once the transaction holds the
        exclusive lock named by ``(?, ?)`` (an ``int4`` namespace and a text,
        until the transaction ends), false if another transaction holds it (no
        waiting). None on SQLite, where the single writer serialises writes."""
        if self.name == "sqlite":
            return None
        return "SELECT pg_try_advisory_xact_lock(CAST(? AS INTEGER), hashtext(?))"


SQLITE = Dialect(name="sqlite", for_update="", skip_locked="", for_update_of_contacts="")
POSTGRES = Dialect(
    name="postgresql",
    for_update=" FOR UPDATE",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    for_update_of_contacts=" FOR UPDATE OF c",
)

_MARK = re.compile(r"\?")


def numbered(text: str, start: int = 1) -> str:
    """Turn ``?`` placeholders into PostgreSQL's ``$start, $start+1, ...``."""
    counter = itertools.count(start)
    return _MARK.sub(lambda _m: f"${next(counter)}", text)


@lru_cache(maxsize=1024)
def _numbered(text: str) -> str:
    return numbered(text)


# -- drivers ------------------------------------------------------------------


def run_sync(conn: sqlite3.Connection, plan: Plan[T]) -> T:
    """Carry out ``plan`` on a sqlite3 connection (no transaction of its own:
    the caller's, e.g. the writer's batch and SAVEPOINT, applies)."""
    try:
        query = next(plan)
        while True:
            query = plan.send(_sync(conn, query))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _sync(conn: sqlite3.Connection, q: Query) -> Any:
    mode = q.mode
    if mode == "many":
        conn.executemany(q.sql, q.params)
        return None
    cur = conn.execute(q.sql, q.params)
    if mode == "count":
        return cur.rowcount
    if mode == "all":
        return cur.fetchall()
    row = cur.fetchone()
    if mode == "one":
        return row
    return None if row is None else row[0]


class _AsyncConnection(Protocol):
    """What :func:`run_async` needs of an asyncpg connection."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...
    async def fetchrow(self, query: str, *args: Any) -> Any: ...
    async def fetchval(self, query: str, *args: Any) -> Any: ...
    async def execute(self, query: str, *args: Any) -> str: ...
    async def executemany(self, command: str, args: Any) -> None: ...


async def run_async(conn: _AsyncConnection, plan: Plan[T], dialect: Dialect = POSTGRES) -> T:
    """Carry out ``plan`` on an asyncpg connection (inside the caller's transaction)."""
    try:
        query = next(plan)
        while True:
            query = plan.send(await _async(conn, query, dialect))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def _async(conn: _AsyncConnection, q: Query, dialect: Dialect) -> Any:
    sql = dialect.sql(q.sql)
    mode = q.mode
    if mode == "all":
        return await conn.fetch(sql, *q.params)
    if mode == "one":
        return await conn.fetchrow(sql, *q.params)
    if mode == "value":
        return await conn.fetchval(sql, *q.params)
    if mode == "many":
        if q.params:
            await conn.executemany(sql, q.params)
        return None
    status = await conn.execute(sql, *q.params)
    # "UPDATE 3", "DELETE 0", "INSERT 0 1": the last word is the row count.
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


class Database(Protocol):
    """The port every feature's store uses: run a plan for reading or writing.

    Implemented by both engines (:class:`~chatserver.storage.sqlite.SqliteStorage`,
    :class:`~chatserver.storage.postgres.PostgresStorage`); a feature never
    imports an engine.
    """

    @property
    def dialect(self) -> Dialect: ...

    async def read(self, plan: Plan[T], *, snapshot: bool = False) -> T:
        """Run a read-only plan (SQLite: on a reader connection, always inside
        one read transaction, so every statement of the plan sees the same
        snapshot). ``snapshot=True`` asks the same of PostgreSQL (a read-only
        REPEATABLE READ transaction, two more round trips); without it each
        PostgreSQL statement sees what was committed when it started."""
        ...

    async def write(self, plan: Plan[T]) -> T:
        """Run a plan as one atomic write (SQLite: through the single writer,
        group-committed; PostgreSQL: one transaction)."""
        ...
