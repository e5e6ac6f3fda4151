"""Retention: free text of ended contacts is purged after ``retention_days``.

What goes: the patient's name and own words (contact ``name``, ``text`` and
the quotes in triage reasons), every message body, the patient's name as
sender, photos (the ``attachments`` rows with their thumbnails; a message
keeps that it had a photo, without the photo's hash), free text in contact events (internal
notes, transfer notes, override reasons), survey comments and the identified
person (personnummer and name of ``contact_identities``). What stays: the contact row with its
times, levels, tags, outcome and queue (statistics), message sequence numbers
and times, contact events without their text, and the audit log.

Contacts on legal hold are skipped until the hold is lifted. Every purged
contact is an audit event (``retention_purge``).

Blanking a row does not erase the old text from the disk, so after a purge
:meth:`~chatserver.storage.base.Storage.erase_freed` runs: on SQLite (every
connection has ``secure_delete`` on) a ``wal_checkpoint(TRUNCATE)`` moves
the zeroed pages into the main file and empties the WAL; on PostgreSQL a
``VACUUM`` of the purged tables. Backups keep the text until they are
deleted (docs/operations.md, "Retention and legal hold").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatserver.admin.store import FEATURE_FREE_TEXT, PURGE_BATCH, OperationsStore
from chatserver.identity.store import IdentityStore
from chatserver.logs import get_logger

if TYPE_CHECKING:
    from chatserver.state import AppState

log = get_logger("chatserver.admin.retention")

DAY_S = 86400.0
# Every table a purge overwrites or deletes from (erase_freed after it).
PURGED_TABLES: tuple[str, ...] = (
    "contacts",
    "messages",
    "attachments",
    "contact_events",
    *(table for table, _, _ in FEATURE_FREE_TEXT),
    "contact_identities",
)


async def run_retention(state: AppState, store: OperationsStore, now: float) -> int:
    """Purge everything due at ``now``; returns the number of contacts purged."""
    days = state.settings.retention_days
    if days <= 0:
        return 0
    cutoff = now - days * DAY_S
    total = 0
    while True:
        ids = await store.purge_before(cutoff, at=now)
        for contact_id in ids:
            await state.audit_event(
                None,
                None,
                "retention_purge",
                result="ok",
                contact_id=contact_id,
                detail={"retention_days": days},
            )
        total += len(ids)
        if len(ids) < PURGE_BATCH:
            break
    # The personnummer goes with the words.
    forgotten = await IdentityStore(state.storage).forget_purged()
    if total or forgotten:
        # Blank rows are not enough: the old text must also leave the files
        # (SQLite's WAL, PostgreSQL's dead tuples).
        await state.storage.erase_freed(PURGED_TABLES)
    if total:
        log.info("retention_purged", contacts=total, retention_days=days)
    return total
