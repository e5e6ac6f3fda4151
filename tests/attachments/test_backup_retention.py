"""Photos are in the database: a backup carries them to a restored service, and
retention removes them from the database files."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image

from chatserver.admin.retention import PURGED_TABLES
from chatserver.admin.store import OperationsStore
from chatserver.attachments.image import reencode
from chatserver.attachments.store import AttachmentStore
from chatserver.settings import Settings
from chatserver.storage.sqlite import SqliteStorage
from tests.attachments.test_storage import _with_photo
from tests.helpers import Seed
from tests.live import LiveServer
from tests.realserver.client import http_intake, open_patient, recv_until, send_json
from tests.storage.factories import T0, new_contact, seed


def chatserver(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatserver", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def noise_png() -> bytes:
    """A picture of random pixels: its encoded bytes occur nowhere else."""
    im = Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


async def _welcome(srv: LiveServer, token: str) -> dict[str, object]:
    ws = await open_patient(srv)
    try:
        await send_json(ws, {"type": "hello", "token": token, "last_seq": 0})
        return await recv_until(ws, "welcome")
    finally:
        await ws.close()


def test_backup_and_restore_carry_photos(settings: Settings, seed: Seed, tmp_path: Path) -> None:
    """A photo uploaded before `chatserver backup` is served, byte for byte, after `restore`."""
    backup = tmp_path / "backups" / "chat.sqlite3"
    photo = noise_png()
    with LiveServer(settings.data_dir) as srv:
        made = http_intake(srv)
        token = made["patient_token"]
        auth = {"authorization": f"Bearer {token}"}
        r = httpx.post(
            f"{srv.url}/api/contacts/{made['contact_id']}/attachments",
            data={"client_id": "ph-1"},
            files={"file": ("a.jpg", photo, "image/jpeg")},
            headers=auth,
            timeout=30,
        )
        assert r.status_code == 201, r.text
        att = r.json()["attachment"]
        before = httpx.get(f"{srv.url}/api/attachments/{att['id']}", headers=auth, timeout=10)
        done = chatserver("--data-dir", str(settings.data_dir), "backup", str(backup))
        assert done.returncode == 0, done.stderr
    fresh = tmp_path / "restored" / "data"
    fresh.mkdir(parents=True)
    shutil.copy(settings.data_dir / "audit.key", fresh / "audit.key")
    shutil.copy(settings.data_dir / "totp.key", fresh / "totp.key")
    done = chatserver("--data-dir", str(fresh), "restore", str(backup))
    assert (done.returncode, done.stderr) == (0, "")
    with LiveServer(fresh) as srv:
        after = httpx.get(f"{srv.url}/api/attachments/{att['id']}", headers=auth, timeout=10)
        thumb = httpx.get(
            f"{srv.url}/api/attachments/{att['id']}?size=thumb", headers=auth, timeout=10
        )
        welcome = asyncio.run(_welcome(srv, token))
    assert after.status_code == 200
    assert after.content == before.content
    assert thumb.status_code == 200
    messages = welcome["messages"]
    assert isinstance(messages, list)
    assert [m["attachment"] for m in messages] == [att]


async def test_retention_erases_photo_bytes_from_sqlite_files(tmp_path: Path) -> None:
    """After the purge and erase_freed, no slice of the photo is left in the database or its WAL."""
    db = tmp_path / "data" / "chat.sqlite"
    storage = SqliteStorage(db)
    await storage.open()
    try:
        await seed(storage)
        await storage.create_contact(new_contact("c1"))
        photo = reencode(noise_png(), "image/png")
        await AttachmentStore(storage).append(_with_photo("p1", "att-1"), "att-1", photo, T0)
        await storage.close_contact("c1", outcome="resolved_in_chat", at=T0, actor_user_id=None)
        probe = photo.data[len(photo.data) // 2 : len(photo.data) // 2 + 48]
        thumb_probe = photo.thumb[len(photo.thumb) // 2 : len(photo.thumb) // 2 + 48]

        def on_disk() -> bytes:
            return b"".join(p.read_bytes() for p in db.parent.glob("chat.sqlite*"))

        assert probe in on_disk()
        assert await OperationsStore(storage).purge_before(T0 + 1, at=T0 + 2) == ["c1"]
        assert "attachments" in PURGED_TABLES
        await storage.erase_freed(PURGED_TABLES)
        assert probe not in on_disk()
        assert thumb_probe not in on_disk()
    finally:
        await storage.close()
