"""The audit chain detects every kind of tampering (``chatserver audit verify``)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from chatserver.app import open_storage
from chatserver.audit import AuditLog, AuditStore
from chatserver.audit.chain import AuditEvent, seal
from chatserver.audit.keys import KEY_FILE, AuditSettings, checkpoint_path, load_key
from chatserver.audit.store import COLUMNS
from chatserver.cli.commands import main
from chatserver.settings import Settings

EVENTS = 6


async def _record(settings: Settings, n: int) -> None:
    storage = open_storage(settings)
    await storage.open()
    try:
        log = AuditLog(
            AuditStore(storage),
            load_key(settings.data_dir),
            checkpoint_path(settings.data_dir),
            clock=lambda: 1_790_000_000.0,
        )
        for i in range(n):
            await log.record(
                "sync", result="ok", request_id=f"r{i}", contact_id=f"c{i}", unit_id="hc1"
            )
    finally:
        await storage.close()


@pytest.fixture
def db(settings: Settings) -> sqlite3.Connection:
    """Six audit events on disk, and a raw connection with the guard triggers dropped
    (what an attacker with file access can do)."""
    asyncio.run(_record(settings, EVENTS))
    conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("DROP TRIGGER audit_events_no_delete")
    return conn


def _verify(settings: Settings, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--data-dir", str(settings.data_dir), "audit", "verify"])
    return code, capsys.readouterr().out.strip()


def test_intact_log_verifies(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """An untouched log exits 0 and counts its events."""
    assert _verify(settings, capsys) == (0, "audit log intact: 6 events")


def test_triggers_refuse_changes(settings: Settings) -> None:
    """Without dropping the triggers, UPDATE and DELETE are refused by SQLite."""
    asyncio.run(_record(settings, 1))
    conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_events SET result = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_events")


def test_edit_detected(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Changing a field of event 3 names event 3."""
    db.execute("UPDATE audit_events SET contact_id = 'other' WHERE seq = 3")
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at event 3: content does not match its hash (edited)",
    )


def test_delete_detected(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deleting event 4 names the row found in its place."""
    db.execute("DELETE FROM audit_events WHERE seq = 4")
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at event 5: expected event 4, found 5",
    )


def test_delete_and_renumber_detected(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deleting event 4 and renumbering the rest breaks the link at the new event 4."""
    db.execute("DELETE FROM audit_events WHERE seq = 4")
    db.execute("UPDATE audit_events SET seq = seq - 1 WHERE seq > 4")
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at event 4: does not link to the event before it",
    )


def test_reorder_detected(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Swapping events 2 and 3 (their seq numbers) is detected at event 2."""
    db.execute("UPDATE audit_events SET seq = -2 WHERE seq = 2")
    db.execute("UPDATE audit_events SET seq = 2 WHERE seq = 3")
    db.execute("UPDATE audit_events SET seq = 3 WHERE seq = -2")
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at event 2: does not link to the event before it",
    )


def test_insert_detected(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """An event squeezed in after event 2 (the rest renumbered) breaks event 4's link."""
    row = db.execute(f"SELECT {COLUMNS} FROM audit_events WHERE seq = 2").fetchone()
    db.execute("UPDATE audit_events SET seq = seq + 100 WHERE seq > 2")
    db.execute("UPDATE audit_events SET seq = seq - 99 WHERE seq > 100")
    # A well-formed forgery linked to event 2 but signed with a guessed key.
    forged = seal(
        AuditEvent(at=row[1], action="sync", result="ok", request_id="x", contact_id="forged"),
        3,
        row[13],
        b"k" * 32,
    )
    db.execute(
        f"INSERT INTO audit_events ({COLUMNS}) VALUES ({', '.join('?' * 15)})",
        (
            3,
            forged.at,
            None,
            None,
            None,
            "",
            None,
            "forged",
            "sync",
            "ok",
            "x",
            "{}",
            forged.prev_hash,
            forged.hash,
            forged.mac,
        ),
    )
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at event 3: signature does not match (forged or wrong key)",
    )


def test_forged_append_detected(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A correctly chained event appended without the key fails its signature."""
    seq, head = db.execute(
        "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    forged = seal(
        AuditEvent(at="2026-01-01T00:00:00.000000Z", action="login", result="ok", request_id="x"),
        seq + 1,
        head,
        b"not-the-key-" * 3,
    )
    db.execute(
        f"INSERT INTO audit_events ({COLUMNS}) VALUES ({', '.join('?' * 15)})",
        (
            forged.seq,
            forged.at,
            None,
            None,
            None,
            "",
            None,
            None,
            "login",
            "ok",
            "x",
            "{}",
            forged.prev_hash,
            forged.hash,
            forged.mac,
        ),
    )
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at event 7: signature does not match (forged or wrong key)",
    )


def test_truncated_tail_detected(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cutting off the last two events is caught by the signed checkpoint."""
    db.execute("DELETE FROM audit_events WHERE seq > 4")
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at event 5: the log ends at event 4 but the checkpoint vouches"
        " for 6 (tail cut off)",
    )


def test_forged_checkpoint_detected(
    db: sqlite3.Connection, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checkpoint written without the key is refused."""
    cp = checkpoint_path(settings.data_dir)
    cp.write_text('{"seq": 6, "hash": "' + "0" * 64 + '", "mac": "' + "0" * 64 + '"}')
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at checkpoint: the checkpoint's signature does not match",
    )


def test_key_file_is_private(db: sqlite3.Connection, settings: Settings) -> None:
    """The generated key file is readable by its owner only (0600)."""
    assert (Path(settings.data_dir) / KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_configured_key_wins(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With CHATSERVER_AUDIT_KEY set, no key file is made and verification needs that key."""
    monkeypatch.setenv("CHATSERVER_AUDIT_KEY", "a" * 40)

    async def run() -> None:
        storage = open_storage(settings)
        await storage.open()
        try:
            log = AuditLog(
                AuditStore(storage),
                load_key(settings.data_dir, AuditSettings().audit_key),
                checkpoint_path(settings.data_dir),
                clock=lambda: 1_790_000_000.0,
            )
            await log.record("login", result="ok", request_id="r")
        finally:
            await storage.close()

    asyncio.run(run())
    assert not (Path(settings.data_dir) / KEY_FILE).exists()
    assert _verify(settings, capsys) == (0, "audit log intact: 1 events")
    monkeypatch.setenv("CHATSERVER_AUDIT_KEY", "b" * 40)
    assert _verify(settings, capsys) == (
        1,
        "audit log broken at event 1: signature does not match (forged or wrong key)",
    )
