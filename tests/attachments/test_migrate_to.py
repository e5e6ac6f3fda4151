"""`chatserver migrate-to` carries photos (BLOB → BYTEA, photo_request 0/1 →
boolean) from SQLite into PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from chatserver.attachments.store import AttachmentStore
from chatserver.settings import Settings
from chatserver.storage.postgres import PostgresStorage
from tests.attachments import images
from tests.attachments.util import chat, upload
from tests.helpers import Seed, receive_until
from tests.pg import PgServer, migrated_template
from tests.scaleout.test_migrate_to import cli

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    name = pg_server.create_database(template=migrated_template(pg_server))
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)


async def _read(url: str, cid: str, attachment_id: str) -> tuple[object, ...]:
    store = PostgresStorage(url)
    await store.open()
    try:
        messages = await store.messages_after(cid, 0)
        image = await AttachmentStore(store).image(attachment_id)
        thumb = await AttachmentStore(store).image(attachment_id, "thumb")
        return messages, image, thumb
    finally:
        await store.close()


def test_migrate_to_copies_photos(
    client: TestClient, seed: Seed, settings: Settings, pg_url: str
) -> None:
    """The photo, its thumbnail, its message metadata and a photo request arrive unchanged."""
    with chat(client, seed["nurse1"]) as (cid, token, _, _p, staff):
        r = upload(client, cid, images.jpeg((500, 400)), token=token)
        assert r.status_code == 201, r.text
        att = r.json()["attachment"]
        staff.send_json(
            {
                "type": "message",
                "contact_id": cid,
                "client_id": "ask",
                "body": "En bild till?",
                "photo_request": True,
            }
        )
        receive_until(staff, "ack")
        photo = client.get(
            f"/api/attachments/{att['id']}", headers={"authorization": f"Bearer {token}"}
        ).content
    client.close()
    done = cli(settings.data_dir, "migrate-to", pg_url)
    assert done.returncode == 0, done.stderr
    assert "attachments: 1 rows" in done.stdout
    messages, image, thumb = asyncio.run(_read(pg_url, cid, att["id"]))
    assert isinstance(messages, list)
    assert [(m.seq, m.photo_request) for m in messages] == [(1, False), (2, True)]
    assert messages[0].attachment["id"] == att["id"]
    assert image is not None
    assert thumb is not None
    assert image.data == photo  # type: ignore[attr-defined]
