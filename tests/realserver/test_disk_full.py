"""A full disk: writes are refused as retryable, retried, and stored once.

A real server keeps its data dir on a small tmpfs (mounted by the test: it
needs root, as CI has; elsewhere the test skips, and fails under ``CI=true``).
A patient chats; the test fills the filesystem with a file, the patient keeps
writing, and every write the disk cannot take is answered with a retryable
``storage_unavailable`` error carrying the message's ``client_id``. The client
(:mod:`tests.realserver.retrying`) resends with back-off on the same socket.
Meanwhile ``/readyz`` is 503 and intake answers 503 with ``Retry-After``.
Then the file is removed: every message is acked exactly once and stored
exactly once, readiness returns, and the log holds one traceback, not one per
failure. (tests/storage/test_write_failures.py covers the same on SQLite's
``max_page_count`` and on a PostgreSQL that ends its connections.)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from chatserver.settings import Settings
from tests.helpers import intake_body, seed_directory
from tests.live import TIMEOUT_SCALE, LiveServer
from tests.realserver.client import http_intake, open_patient, recv_until, send_json
from tests.realserver.retrying import RetryingSender

DISK_MB = 24
BEFORE, DURING = 10, 30  # messages sent before the disk fills, and while it is full


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0700", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        message = f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem says ENOSPC."""
    filler = disk / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as f:
        for size in (1 << 20, 4096, 512):
            piece = chunk[:size]
            while True:
                try:
                    f.write(piece)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    return filler


async def readyz(client: httpx.AsyncClient) -> tuple[int, dict[str, bool]]:
    r = await client.get("/readyz")
    return r.status_code, r.json()["checks"]


async def until(predicate: Callable[[], Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout * TIMEOUT_SCALE
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_full_disk_every_message_acked_and_stored_once(small_disk: Path) -> None:
    settings = Settings(data_dir=small_disk)
    await seed_directory(settings)
    env = {
        "CHATSERVER_INTAKE_RATE_LIMIT": "100000/minute",
        "CHATSERVER_FRAME_RATE_LIMIT": "100000/second",
        # Many sockets from 127.0.0.1 and messages as fast as acks come (issue 20 limits).
        "CHATSERVER_MAX_SOCKETS_PER_ADDRESS": "0",
        "CHATSERVER_CONTACT_MESSAGE_RATE_LIMIT": "100000/second",
        "CHATSERVER_MAX_MESSAGES_PER_CONTACT": "0",
        "CHATSERVER_STATS_WARMUP_DAYS": "0",
    }
    srv = LiveServer(small_disk, env=env).start()
    try:
        contact = http_intake(srv)
        contact_id, token = contact["contact_id"], contact["patient_token"]
        ws = await open_patient(srv)
        await send_json(ws, {"type": "hello", "token": token, "last_seq": 0})
        await recv_until(ws, "welcome")
        sender = RetryingSender(ws, contact_id)
        done = asyncio.Event()
        reader = asyncio.create_task(sender.receive_until_idle(done))
        async with httpx.AsyncClient(base_url=srv.url, timeout=10) as http:
            for i in range(BEFORE):
                await sender.send(f"m{i:03d}", f"före {i}")
            await sender.wait_all_acked(30 * TIMEOUT_SCALE)
            assert (await readyz(http))[0] == 200

            filler = fill(small_disk)
            for i in range(BEFORE, BEFORE + DURING):
                await sender.send(f"m{i:03d}", f"under {i} " + "x" * 2000)
                await asyncio.sleep(0.02)
            await until(lambda: len(sender.retryable_errors) >= 10, 30)
            status, checks = await readyz(http)
            assert (status, checks["writes"]) == (503, False)
            refused = await http.post("/api/contacts", json=intake_body())
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "2"
            assert refused.json()["error"]["code"] == "storage_unavailable"
            errors_while_full = len(sender.retryable_errors)

            filler.unlink()
            await sender.wait_all_acked(60 * TIMEOUT_SCALE)
            await until(_ready(http), 10)
            done.set()
            await reader
        await ws.close()
    finally:
        srv.stop()

    sent = [f"m{i:03d}" for i in range(BEFORE + DURING)]
    assert sender.other_errors == []
    assert errors_while_full >= 10
    for frame in sender.retryable_errors:
        assert frame["code"] == "storage_unavailable"
        assert frame["contact_id"] == contact_id
        assert frame["client_id"] in sent
    # Acked exactly once each, in the order sent, with gapless seqs.
    assert dict(sender.acks) == dict.fromkeys(sent, 1)
    assert sorted(sender.seqs.values()) == list(range(1, len(sent) + 1))
    # Stored exactly once each.
    db = sqlite3.connect(settings.sqlite_path)
    try:
        rows = db.execute(
            "SELECT client_id, count(*) FROM messages WHERE contact_id = ? GROUP BY client_id",
            (contact_id,),
        ).fetchall()
    finally:
        db.close()
    assert dict(rows) == dict.fromkeys(sent, 1)
    # One traceback for the outage, then counts (not one per failed write).
    lines = srv.stderr_path.read_text().splitlines()
    log_lines = [orjson.loads(line) for line in lines if line.startswith("{")]
    tracebacks = [
        e for e in log_lines if e.get("event") == "storage_unavailable" and "exception" in e
    ]
    assert 1 <= len(tracebacks) <= 2, len(tracebacks)
    assert any(e.get("event") == "storage_writes_failing" for e in log_lines)


def _ready(http: httpx.AsyncClient) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return (await readyz(http))[0] == 200
        return False

    return check
