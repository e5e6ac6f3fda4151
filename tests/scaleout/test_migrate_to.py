"""``chatserver migrate-to``: a SQLite deployment copied into PostgreSQL, audit chain intact."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from chatserver.settings import Settings
from chatserver.storage.postgres import PostgresStorage
from chatserver.storage.sqlite import SqliteStorage
from tests.helpers import ORIGIN, Seed, intake, login, receive_until

pytestmark = pytest.mark.postgres

WS = {"origin": ORIGIN}


def cli(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatserver", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def hold_conversation(client: TestClient, seed: Seed) -> str:
    """Intake, pick, three messages, close — everything a real day leaves behind."""
    contact = intake(client)
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as p,
        client.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        p.send_json({"type": "hello", "token": contact["patient_token"], "last_seq": 0})
        receive_until(p, "welcome")
        receive_until(s, "welcome")
        s.send_json({"type": "pick"})
        cid = str(receive_until(s, "assigned")["contact"]["contact_id"])
        p.send_json({"type": "message", "client_id": "p1", "body": "Hej"})
        receive_until(p, "ack")
        s.send_json({"type": "message", "contact_id": cid, "client_id": "s1", "body": "Hej!"})
        receive_until(s, "ack")
        p.send_json({"type": "message", "client_id": "p2", "body": "Tack"})
        receive_until(p, "ack")
        s.send_json({"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
        receive_until(p, "closed")
    return cid


async def snapshot(store: SqliteStorage | PostgresStorage, cid: str) -> tuple[object, ...]:
    await store.open()
    try:
        contact = await store.get_contact(cid)
        messages = await store.messages_after(cid, 0)
        events = [
            (e.id, e.kind, e.at, e.actor_user_id, dict(e.data)) for e in await store.events(cid)
        ]
        users = [await store.get_user_by_username(n) for n in ("nurse1", "admin1", "nurse_hc2")]
        return contact, messages, events, users, await store.list_units(), await store.list_queues()
    finally:
        await store.close()


def test_migrate_to_copies_everything_and_the_audit_chain_verifies(
    client: TestClient, seed: Seed, settings: Settings, pg_url: str
) -> None:
    """Contacts, messages, events, users and the audit chain arrive unchanged; verify passes."""
    cid = hold_conversation(client, seed)
    client.close()
    before = cli(settings.data_dir, "audit", "verify")
    assert before.returncode == 0, before.stdout + before.stderr
    assert before.stdout.startswith("audit log intact: ")

    done = cli(settings.data_dir, "migrate-to", pg_url)
    assert done.returncode == 0, done.stderr
    assert "contacts: 1 rows" in done.stdout
    assert "messages: 3 rows" in done.stdout

    source = asyncio.run(snapshot(SqliteStorage(settings.sqlite_path), cid))
    target = asyncio.run(snapshot(PostgresStorage(pg_url), cid))
    assert target == source

    after = cli(settings.data_dir, "audit", "verify", env={"CHATSERVER_DATABASE_URL": pg_url})
    assert (after.returncode, after.stdout) == (0, before.stdout)

    again = cli(settings.data_dir, "migrate-to", pg_url)
    assert (again.returncode, again.stderr.strip()) == (
        1,
        "error: the target database is not empty (units has rows)",
    )


def test_migrated_database_takes_new_rows(
    client: TestClient, seed: Seed, settings: Settings, pg_url: str
) -> None:
    """After the copy, identity columns continue after the copied ids (a new user)."""
    hold_conversation(client, seed)
    client.close()
    assert cli(settings.data_dir, "migrate-to", pg_url).returncode == 0

    async def add() -> int:
        store = PostgresStorage(pg_url)
        await store.open()
        try:
            user = await store.add_user(
                username="nurse3",
                display_name="Nora Nurse",
                role="nurse",
                password_hash="x",
                totp_secret=None,
                unit_ids=["hc1"],
                created_at=1.0,
            )
            return user.id
        finally:
            await store.close()

    assert asyncio.run(add()) == max(a.id for a in seed.accounts.values()) + 1
