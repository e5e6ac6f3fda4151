"""Retention that really erases: after a purge no purged text is left in the
bytes of the SQLite database, its WAL or its SHM file (issue 20, point 2).

The files are read while the service still runs, as an attacker with file
access would: closing the last connection would checkpoint and delete the WAL
anyway and hide a missing checkpoint.
"""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from chatserver.settings import Settings
from chatserver.storage.sqlite import SqliteStorage
from chatserver.storage.sqlite_connection import JOURNAL_SIZE_LIMIT_BYTES, WAL_AUTOCHECKPOINT_PAGES
from tests.helpers import ORIGIN, Seed, intake, receive_until

from .util import Clock, run, sign_in, state_of

WS = {"origin": ORIGIN}
DAY = 86400.0

# (patient name, intake text, patient message, internal note, survey comment):
# names, personnummer-like strings and free text in every place retention purges.
CHATS = [
    (
        "Petronella Xylander",
        "Ont i halsen sedan fyra dagar, personnummer 19121212-1212.",
        "Mitt personnummer är 191212121212 och jag bor på Kvarngatan 7.",
        "Internanteckning: Xylander ringd om halsfluss",
        "Tack Kvarngatsmottagningen för hjälpen",
    ),
    (
        "Hjalmar Qvistberg",
        "Utslag på armen sedan i måndags, samordningsnummer 701063-2391.",
        "Jag heter Hjalmar Qvistberg och har allergi mot penicillin.",
        "Internanteckning: Qvistberg remitteras till hudmottagningen",
        "Qvistberg var mycket nöjd med svaret",
    ),
]


def texts_of(chat: tuple[str, ...]) -> list[bytes]:
    return [t.encode() for t in chat]


def finished_chat(client: TestClient, chat: tuple[str, ...]) -> str:
    """One whole chat; the client is signed in as a nurse of hc1."""
    name, text, message, note, comment = chat
    made = intake(client, name=name, text=text)
    cid, token = made["contact_id"], made["patient_token"]
    with (
        client.websocket_connect("/ws/patient", headers=WS) as patient,
        client.websocket_connect("/ws/staff", headers=WS) as staff,
    ):
        patient.send_json({"type": "hello", "token": token, "last_seq": 0})
        receive_until(patient, "welcome")
        receive_until(staff, "welcome")
        staff.send_json({"type": "pick", "contact_id": cid})
        receive_until(staff, "assigned")
        patient.send_json({"type": "message", "client_id": "p1", "body": message})
        receive_until(patient, "ack")
        staff.send_json({"type": "note", "contact_id": cid, "body": note})
        receive_until(staff, "note")
        staff.send_json({"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
        receive_until(staff, "closed")
    r = client.post("/api/contacts/survey", json={"token": token, "rating": 4, "comment": comment})
    assert r.status_code in (200, 201), r.text
    return str(cid)


def raw_files(db: Path) -> dict[str, bytes]:
    """The bytes of the database and its -wal and -shm files (those that exist)."""
    files = {}
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        if path.exists():
            files[path.name] = path.read_bytes()
    return files


def leftovers(db: Path, texts: list[bytes]) -> list[tuple[str, bytes]]:
    return [(name, text) for name, data in raw_files(db).items() for text in texts if text in data]


def test_purged_text_is_in_no_byte_of_the_database_wal_or_shm(
    app_client: TestClient, seed: Seed, clock: Clock, settings: Settings
) -> None:
    """Every name, personnummer, message, note and comment is on disk before the
    purge (in the WAL at least) and in none of the three files after it."""
    sign_in(app_client, seed["nurse1"], clock)
    for chat in CHATS:
        finished_chat(app_client, chat)
    texts = [t for chat in CHATS for t in texts_of(chat)]
    db = settings.sqlite_path
    before = {text for _, text in leftovers(db, texts)}
    assert before == set(texts)  # the test can see them: each one is somewhere
    assert Path(f"{db}-wal").exists()

    clock.advance(181 * DAY)
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.post("/api/admin/retention/run", headers=admin)
    assert r.json()["purged"] == len(CHATS)

    assert leftovers(db, texts) == []


def test_every_connection_has_secure_delete_and_a_journal_size_limit(
    app_client: TestClient,
) -> None:
    """The writer and every reader zero deleted content; the WAL is bounded."""
    storage = state_of(app_client).storage
    assert isinstance(storage, SqliteStorage)

    async def pragmas() -> list[tuple[int, int]]:
        conns = [storage._writer.connection, *storage._readers]
        return [
            await c.run(
                lambda conn: (
                    conn.execute("PRAGMA secure_delete").fetchone()[0],
                    conn.execute("PRAGMA journal_size_limit").fetchone()[0],
                )
            )
            for c in conns
        ]

    found = run(app_client, pragmas)
    assert [sd for sd, _ in found] == [1] * len(found)
    assert found[0][1] == JOURNAL_SIZE_LIMIT_BYTES  # the writer's; readers never write a WAL
    assert found[0][1] > WAL_AUTOCHECKPOINT_PAGES * 4096  # reused, not cut and regrown


def test_the_writer_checkpoints_at_its_own_threshold(app_client: TestClient) -> None:
    """SQLite's automatic checkpoint on the writer is only the backstop at
    WAL_AUTOCHECKPOINT_PAGES, not SQLite's default 1,000 (the writer's own
    checkpoints run off the commit path: tests/storage/test_sqlite_backend.py)."""
    storage = state_of(app_client).storage
    assert isinstance(storage, SqliteStorage)

    async def threshold() -> int:
        return int(
            await storage._writer.connection.run(
                lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
            )
        )

    assert run(app_client, threshold) == WAL_AUTOCHECKPOINT_PAGES == 10_000
