"""Persistent storage: the :class:`Storage` interface, its records, and backends.

Data flow: a feature calls :class:`Storage` (records and errors in
:mod:`.base`); :class:`~.planned.PlannedStorage` turns each call into a plan
(:mod:`.directory`, :mod:`.contacts`, :mod:`.login`, :mod:`.messages`, rows
in :mod:`.rows`) and an engine runs it (:mod:`.sqlite`, :mod:`.postgres`)
through the :mod:`.plan` drivers.

The engines are not imported here: a feature that imports this package (or
:mod:`.plan`) does not load SQLite or asyncpg code; the wiring
(:mod:`chatserver.app`) opens the engine it is configured for.
"""

from .base import (
    AppendResult,
    Conflict,
    Contact,
    ContactEvent,
    LockoutRecord,
    Message,
    NewContact,
    NewMessage,
    NotAssigned,
    NotFound,
    Queue,
    Session,
    Storage,
    StorageError,
    StorageUnavailable,
    Unit,
    User,
)
from .plan import Database, Dialect, Plan, Query

__all__ = [
    "AppendResult",
    "Conflict",
    "Contact",
    "ContactEvent",
    "Database",
    "Dialect",
    "LockoutRecord",
    "Message",
    "NewContact",
    "NewMessage",
    "NotAssigned",
    "NotFound",
    "Plan",
    "Query",
    "Queue",
    "Session",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "Unit",
    "User",
]
