"""Migration 0020 on SQLite: ``messages`` from WITHOUT ROWID to a rowid table.

A database written by the previous version (every migration before 0020) is
reopened by this one: every message is kept column for column, both unique keys
still hold, and reading a conversation still goes through an index.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from pathlib import Path

import pytest

from chatserver.storage import migrations as migrations_module
from chatserver.storage import sqlite as sqlite_module
from chatserver.storage.base import ATTACHMENT_KEYS
from chatserver.storage.sqlite import SqliteStorage
from tests.storage.factories import T0, new_contact, patient_message, seed, staff_message

VERSION = 20
ALL_COLUMNS = (
    "contact_id, seq, sender, sender_key, sender_name, client_id, body, sent_at,"
    " attachment, photo_request"
)


def _rows(path: Path) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        sql = f"SELECT {ALL_COLUMNS} FROM messages ORDER BY contact_id, seq"
        return conn.execute(sql).fetchall()


def _table_sql(conn: sqlite3.Connection, name: str) -> str:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return str(row[0]) if row else ""


async def _write_with_previous_version(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages of two conversations, staff and patient, a photo and a photo
    request, stored by the schema as it was before 0020."""
    before = [m for m in migrations_module.list_migrations("sqlite") if m.version < VERSION]
    monkeypatch.setattr(sqlite_module, "list_migrations", lambda engine: before)
    store = SqliteStorage(path)
    await store.open()
    try:
        users = await seed(store)
        await store.create_contact(new_contact("c1"))
        await store.create_contact(new_contact("c2", patient_token_hash="tok-c2x"))
        photo = dict.fromkeys(ATTACHMENT_KEYS, "x") | {"bytes": 10, "width": 2, "height": 3}
        for n in range(5):
            await store.append_message(patient_message("c1", f"p{n}", f"hej {n} " * 80, T0 + n))
            await store.append_message(patient_message("c2", f"p{n}", f"ont {n}", T0 + n + 0.5))
        await store.append_message(
            dataclasses.replace(staff_message("c1", users.alice, "s1"), photo_request=True)
        )
        await store.append_message(
            dataclasses.replace(patient_message("c1", "photo", "", T0 + 9), attachment=photo)
        )
        with contextlib.closing(sqlite3.connect(path)) as conn:
            assert "WITHOUT ROWID" in _table_sql(conn, "messages")
            (applied,) = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
            assert applied == VERSION - 1
    finally:
        await store.close()
    monkeypatch.undo()


async def test_0020_keeps_every_message_and_both_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After 0020 the rows are identical, messages is a rowid table, (contact,
    seq) and the resend key are still unique, and a resend is still a duplicate."""
    path = tmp_path / "db.sqlite"
    await _write_with_previous_version(path, monkeypatch)
    before = _rows(path)
    assert len(before) == 12

    store = SqliteStorage(path)
    await store.open()
    try:
        assert _rows(path) == before
        again = await store.append_message(patient_message("c1", "p3", "hej 3 ", T0 + 3))
        assert again.duplicate
        assert again.message.seq == 4
        fresh = await store.append_message(patient_message("c1", "p9", "ny", T0 + 20))
        assert (fresh.duplicate, fresh.message.seq) == (False, 8)
        assert [m.seq for m in await store.messages_after("c1", 5)] == [6, 7, 8]
    finally:
        await store.close()

    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        assert "WITHOUT ROWID" not in _table_sql(conn, "messages")
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {r[1]: r[2] for r in conn.execute("PRAGMA index_list(messages)")}
        assert indexes == {"messages_contact_seq": 1, "messages_resend": 1}
        insert = f"INSERT INTO messages ({ALL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)"
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # the same seq again
            conn.execute(insert, ("c2", 1, "patient", "p:c2", "P", "new-id", "x", T0))
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # the same resend key
            conn.execute(insert, ("c2", 99, "patient", "p:c2", "P", "p1", "x", T0))


async def test_reads_of_a_conversation_use_an_index(sqlite_storage: SqliteStorage) -> None:
    """Reading a conversation from a seq and the resend lookup are index
    searches, not scans of every message (the rowid table has no clustering
    by conversation to fall back on)."""

    def plans(conn: sqlite3.Connection) -> list[str]:
        found = []
        for sql, params in (
            (
                "SELECT * FROM messages WHERE contact_id = ? AND seq > ? ORDER BY seq",
                ("c1", 0),
            ),
            (
                "SELECT * FROM messages WHERE contact_id = ? AND sender_key = ? AND client_id = ?",
                ("c1", "p:c1", "x"),
            ),
        ):
            rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            found.append(" | ".join(str(r[-1]) for r in rows))
        return found

    by_seq, by_key = await sqlite_storage.run_read(plans)
    assert "USING INDEX messages_contact_seq" in by_seq
    assert "TEMP B-TREE" not in by_seq
    assert "USING INDEX messages_resend" in by_key
