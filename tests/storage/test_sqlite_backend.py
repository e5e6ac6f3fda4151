"""SQLite specifics: group commit, savepoint isolation, pragmas, read-only readers."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from chatserver.storage import StorageError, sqlite_writer
from chatserver.storage.sqlite import SqliteStorage
from chatserver.storage.sqlite_connection import ThreadConnection
from chatserver.storage.sqlite_writer import CHECKPOINT_EVERY_COMMITS, WriterStats

from .factories import T0, new_contact, patient_message, seed


async def test_burst_of_appends_is_group_committed(sqlite_storage: SqliteStorage) -> None:
    """1000 concurrent appends share a handful of transactions (max_batch=256 → 4)."""
    await seed(sqlite_storage)
    await sqlite_storage.create_contact(new_contact("c1"))
    before = sqlite_storage.stats.transactions
    results = await asyncio.gather(
        *(sqlite_storage.append_message(patient_message("c1", f"m{i}")) for i in range(1000))
    )
    assert [r.message.seq for r in results] == list(range(1, 1001))
    assert sqlite_storage.stats.transactions - before == 4
    assert sqlite_storage.stats.largest_batch == 256


async def test_mixed_burst_is_one_transaction(sqlite_storage: SqliteStorage) -> None:
    """A burst with failing and succeeding ops of several kinds commits once."""
    alice = (await seed(sqlite_storage)).alice
    await sqlite_storage.create_contact(new_contact("c1"))
    stats = sqlite_storage.stats
    tx, ops = stats.transactions, stats.ops
    results = await asyncio.gather(
        sqlite_storage.append_message(patient_message("c1", "m1")),
        sqlite_storage.create_contact(new_contact("c1")),
        sqlite_storage.append_message(patient_message("c404", "m1")),
        sqlite_storage.pick(["u1:nurse"], user_id=alice.id, staff_name="A", at=T0),
        sqlite_storage.append_message(patient_message("c1", "m2")),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == [
        "AppendResult",
        "Conflict",
        "NotFound",
        "Contact",
        "AppendResult",
    ]
    assert (stats.transactions - tx, stats.ops - ops) == (1, 5)


async def test_failed_commit_fails_the_whole_batch(sqlite_storage: SqliteStorage) -> None:
    """When COMMIT fails, every op of the batch gets StorageError and nothing is stored."""
    await seed(sqlite_storage)
    await sqlite_storage.create_contact(new_contact("c1"))
    writer = sqlite_storage._writer

    def poison(conn: sqlite3.Connection) -> None:
        # A deferred foreign key violation is only detected at COMMIT.
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("INSERT INTO contact_events (contact_id, at, kind) VALUES ('ghost', 0, 'x')")

    failed_before = sqlite_storage.stats.failed_batches
    results = await asyncio.gather(
        sqlite_storage.append_message(patient_message("c1", "m1")),
        writer.submit(poison),
        sqlite_storage.create_contact(new_contact("c2")),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [StorageError, StorageError, StorageError]
    assert sqlite_storage.stats.failed_batches - failed_before == 1
    assert await sqlite_storage.messages_after("c1", 0) == []
    assert await sqlite_storage.get_contact("c2") is None
    # The writer is healthy afterwards.
    ok = await sqlite_storage.append_message(patient_message("c1", "m1"))
    assert (ok.message.seq, ok.duplicate) == (1, False)


async def test_pragmas(tmp_path: Path) -> None:
    """The writer runs WAL, foreign keys on, the chosen synchronous level and a busy timeout."""
    store = SqliteStorage(tmp_path / "db.sqlite", synchronous="normal")
    await store.open()
    try:

        def read(conn: sqlite3.Connection) -> tuple[object, ...]:
            return tuple(
                conn.execute(f"PRAGMA {p}").fetchone()[0]
                for p in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            )

        assert await store._writer.connection.run(read) == ("wal", 1, 1, 5000)
    finally:
        await store.close()


async def test_synchronous_full_by_default(sqlite_storage: SqliteStorage) -> None:
    """synchronous defaults to FULL (2)."""
    value = await sqlite_storage._writer.connection.run(
        lambda c: c.execute("PRAGMA synchronous").fetchone()[0]
    )
    assert value == 2


def test_bad_options_rejected(tmp_path: Path) -> None:
    """synchronous OFF, zero readers and a zero batch size are refused."""
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStorage(tmp_path / "a", synchronous="OFF")
    with pytest.raises(ValueError, match="readers"):
        SqliteStorage(tmp_path / "a", readers=0)
    with pytest.raises(ValueError, match="max_batch"):
        SqliteStorage(tmp_path / "a", max_batch=0)


async def test_readers_are_read_only_and_round_robin(tmp_path: Path) -> None:
    """Reads rotate over the reader threads (never the writer's) and cannot write."""
    store = SqliteStorage(tmp_path / "db.sqlite", readers=3)
    await store.open()
    try:
        threads = [await store._read(lambda _c: threading.current_thread().name) for _ in range(6)]
        writer_thread = await store._writer.connection.run(
            lambda _c: threading.current_thread().name
        )
        assert len(set(threads)) == 3
        assert threads[:3] == threads[3:]
        assert writer_thread not in threads
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await store._read(lambda c: c.execute("DELETE FROM units"))
    finally:
        await store.close()


async def test_another_process_can_write_meanwhile(sqlite_storage: SqliteStorage) -> None:
    """A second connection (e.g. the CLI) holding the write lock briefly only delays the writer."""
    await seed(sqlite_storage)
    await sqlite_storage.create_contact(new_contact("c1"))
    locked = threading.Event()

    def cli() -> None:
        conn = sqlite3.connect(sqlite_storage.path, isolation_level=None, timeout=5)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE users SET display_name = 'CLI' WHERE username = 'alice'")
            locked.set()
            time.sleep(0.3)  # hold the write lock a while: the delay is what is tested
            conn.execute("COMMIT")
        finally:
            conn.close()

    thread = asyncio.create_task(asyncio.to_thread(cli))
    await asyncio.to_thread(locked.wait, 5)
    result = await sqlite_storage.append_message(patient_message("c1", "m1"))
    await thread
    assert result.message.seq == 1
    alice = await sqlite_storage.get_user_by_username("alice")
    assert alice is not None
    assert alice.display_name == "CLI"


async def test_use_after_close_raises(tmp_path: Path) -> None:
    """Reads and writes after close() raise StorageError; closing twice is harmless."""
    store = SqliteStorage(tmp_path / "db.sqlite")
    await store.open()
    await store.close()
    await store.close()
    with pytest.raises(StorageError):
        await store.get_unit("u1")
    with pytest.raises(StorageError):
        await store.append_message(patient_message("c1", "m1"))
    assert await store.ping() is False


async def test_open_creates_parent_directories(tmp_path: Path) -> None:
    """open() creates missing parent directories of the database file."""
    path = tmp_path / "deep" / "er" / "chat.sqlite"
    store = SqliteStorage(path)
    await store.open()
    await store.close()
    assert path.is_file()


async def test_close_overloads(sqlite_storage: SqliteStorage) -> None:
    """close(contact_id) needs outcome and at; close() takes no contact options."""
    with pytest.raises(TypeError):
        await sqlite_storage.close("c1")  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        await sqlite_storage.close(outcome="x")  # type: ignore[call-overload]


def test_stats_start_at_zero() -> None:
    """A fresh WriterStats counts nothing."""
    assert WriterStats() == WriterStats(
        transactions=0, ops=0, failed_batches=0, largest_batch=0, checkpoints=0
    )


async def test_close_checkpoints_and_instance_is_single_use(tmp_path: Path) -> None:
    """After close() the WAL is folded back and removed; reopening the instance is refused."""
    path = tmp_path / "db.sqlite"
    store = SqliteStorage(path)
    await store.open()
    await seed(store)
    await store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.sqlite"]
    with pytest.raises(StorageError, match="reopened"):
        await store.open()


async def test_failed_open_releases_connections(tmp_path: Path) -> None:
    """If open() fails (here: the path is a directory), it raises and leaves no thread behind."""
    store = SqliteStorage(tmp_path)
    with pytest.raises(sqlite3.OperationalError):
        await store.open()
    assert [t.name for t in threading.enumerate() if t.name.startswith("sqlite-")] == []


async def test_thread_connection_runs_on_aiosqlite_worker(tmp_path: Path) -> None:
    """run() ships a whole function to aiosqlite's worker thread in one hop."""
    tc = ThreadConnection("t")
    await tc.open_writer(tmp_path / "x.sqlite3", "NORMAL")
    try:
        name, value = await tc.run(
            lambda c: (threading.current_thread().name, c.execute("SELECT 41 + 1").fetchone()[0])
        )
        assert value == 42
        assert name != threading.current_thread().name
    finally:
        await tc.close()


def _messages_in_main_file(path: Path) -> int:
    """Messages in the main database file alone: ``immutable=1`` reads it
    without the WAL (what a checkpoint has copied so far; before the first
    one, not even the schema)."""
    uri = path.resolve().as_uri() + "?immutable=1"
    conn = sqlite3.connect(uri, uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_schema")}
        if "messages" not in tables:
            return 0
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
    finally:
        conn.close()


async def test_writer_checkpoints_after_every_so_many_commits(tmp_path: Path) -> None:
    """The WAL is copied into the main file by the writer itself after
    CHECKPOINT_EVERY_COMMITS commits (off the commit path), not at SQLite's
    1,000 pages inside a COMMIT."""
    path = tmp_path / "db.sqlite"
    store = SqliteStorage(path)
    await store.open()
    try:
        await seed(store)
        await store.create_contact(new_contact("c1"))
        writer = store._writer
        before = store.stats.checkpoints
        short = CHECKPOINT_EVERY_COMMITS - writer._since_checkpoint
        for i in range(short - 1):  # one commit each: nothing else waits
            await store.append_message(patient_message("c1", f"m{i}"))
        assert store.stats.checkpoints == before
        assert _messages_in_main_file(path) == 0
        await store.append_message(patient_message("c1", "last"))
        # The checkpoint runs after the append was answered; the writer takes
        # the next operation only when it is done.
        await writer.submit(lambda conn: None)
        assert store.stats.checkpoints == before + 1
        assert _messages_in_main_file(path) == short
    finally:
        await store.close()


async def test_a_failed_checkpoint_is_logged_and_writing_goes_on(
    sqlite_storage: SqliteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint that fails (here: an injected I/O error) answers nobody
    wrongly: the commits it followed are stored, a warning names the error
    type, and the next commits and checkpoints go on."""
    await seed(sqlite_storage)
    await sqlite_storage.create_contact(new_contact("c1"))

    def broken(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sqlite_writer, "_checkpoint", broken)
    before = sqlite_storage.stats.checkpoints
    with capture_logs() as logs:
        results = [
            await sqlite_storage.append_message(patient_message("c1", f"m{i}"))
            for i in range(CHECKPOINT_EVERY_COMMITS + 1)
        ]
        await sqlite_storage._writer.submit(lambda conn: None)  # after the checkpoint
    assert [r.message.seq for r in results] == list(range(1, CHECKPOINT_EVERY_COMMITS + 2))
    assert [e for e in logs if e["event"] == "wal_checkpoint_failed"] == [
        {"event": "wal_checkpoint_failed", "error": "OperationalError", "log_level": "warning"}
    ]
    assert sqlite_storage.stats.checkpoints == before
    monkeypatch.undo()
    for i in range(CHECKPOINT_EVERY_COMMITS):
        await sqlite_storage.append_message(patient_message("c1", f"n{i}"))
    await sqlite_storage._writer.submit(lambda conn: None)  # after the checkpoint
    assert sqlite_storage.stats.checkpoints == before + 1
    assert len(await sqlite_storage.messages_after("c1", 0)) == 2 * CHECKPOINT_EVERY_COMMITS + 1
