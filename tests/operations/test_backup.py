"""Backup while the service runs, restore into a fresh data dir, resume a patient."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from chatserver.settings import Settings
from tests.helpers import Seed
from tests.live import LiveServer
from tests.realserver.client import http_intake, open_patient, recv_until, send_json


def chatserver(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatserver", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def say(srv: LiveServer, token: str, client_id: str, body: str) -> int:
    ws = await open_patient(srv)
    try:
        await send_json(ws, {"type": "hello", "token": token, "last_seq": 0})
        await recv_until(ws, "welcome")
        await send_json(ws, {"type": "message", "client_id": client_id, "body": body})
        return int((await recv_until(ws, "ack"))["seq"])
    finally:
        await ws.close()


async def resume(srv: LiveServer, token: str) -> dict[str, object]:
    ws = await open_patient(srv)
    try:
        await send_json(ws, {"type": "hello", "token": token, "last_seq": 0})
        return await recv_until(ws, "welcome")
    finally:
        await ws.close()


def test_online_backup_restores_into_a_fresh_dir(
    settings: Settings, seed: Seed, tmp_path: Path
) -> None:
    """A backup taken while serving, restored elsewhere, serves the same contact and
    messages to the patient's token; later writes are not in the snapshot."""
    backup = tmp_path / "backups" / "chat.sqlite3"
    with LiveServer(settings.data_dir) as srv:
        made = http_intake(srv)
        token = made["patient_token"]
        assert asyncio.run(say(srv, token, "m1", "Före säkerhetskopian.")) == 1
        done = chatserver("--data-dir", str(settings.data_dir), "backup", str(backup))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"backup written to {backup} (")
        assert asyncio.run(say(srv, token, "m2", "Efter säkerhetskopian.")) == 2
    with sqlite3.connect(backup) as c:
        assert c.execute("PRAGMA journal_mode").fetchone() == ("delete",)

    fresh = tmp_path / "restored" / "data"
    fresh.mkdir(parents=True)
    # The audit and TOTP keys are kept apart from the backups (docs/operations.md).
    shutil.copy(settings.data_dir / "audit.key", fresh / "audit.key")
    shutil.copy(settings.data_dir / "totp.key", fresh / "totp.key")
    done = chatserver("--data-dir", str(fresh), "restore", str(backup))
    assert (done.returncode, done.stderr) == (0, "")
    verified = chatserver("--data-dir", str(fresh), "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with LiveServer(fresh) as srv:
        welcome = asyncio.run(resume(srv, token))
    assert welcome["contact_id"] == made["contact_id"]
    assert welcome["status"] == "queued"
    messages = welcome["messages"]
    assert isinstance(messages, list)
    assert [(m["seq"], m["body"]) for m in messages] == [(1, "Före säkerhetskopian.")]


def test_restore_refuses_to_overwrite_without_force(
    settings: Settings, seed: Seed, tmp_path: Path
) -> None:
    """Restoring over an existing database needs --force; a non-database is refused."""
    backup = tmp_path / "b.sqlite3"
    assert chatserver("--data-dir", str(settings.data_dir), "backup", str(backup)).returncode == 0
    done = chatserver("--data-dir", str(settings.data_dir), "restore", str(backup))
    assert done.returncode == 1
    assert "pass --force" in done.stderr
    done = chatserver("--data-dir", str(settings.data_dir), "restore", str(backup), "--force")
    assert done.returncode == 0, done.stderr
    verified = chatserver("--data-dir", str(settings.data_dir), "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    done = chatserver("--data-dir", str(tmp_path / "other"), "restore", str(junk))
    assert done.returncode == 1
    assert done.stderr.startswith("error: not a usable SQLite database")


def test_backup_without_database_fails_cleanly(tmp_path: Path) -> None:
    """No database in the data dir: exit 1 with a message, no file written."""
    done = chatserver("--data-dir", str(tmp_path / "none"), "backup", str(tmp_path / "b"))
    assert done.returncode == 1
    assert done.stderr == f"error: no database at {tmp_path / 'none' / 'chatserver.sqlite3'}\n"
    assert not (tmp_path / "b").exists()
