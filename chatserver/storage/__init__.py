"""Persistent storage: the :class:`Storage` interface, its records, and backends."""

from .base import (
    AppendResult,
    Conflict,
    Contact,
    ContactEvent,
    Message,
    NewContact,
    NewMessage,
    NotAssigned,
    NotFound,
    Queue,
    Session,
    Storage,
    StorageError,
    Unit,
    User,
)
from .sqlite import SqliteStorage

__all__ = [
    "AppendResult",
    "Conflict",
    "Contact",
    "ContactEvent",
    "Message",
    "NewContact",
    "NewMessage",
    "NotAssigned",
    "NotFound",
    "Queue",
    "Session",
    "SqliteStorage",
    "Storage",
    "StorageError",
    "Unit",
    "User",
]
