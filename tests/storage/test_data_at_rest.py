"""Data at rest on both engines (issue 20): TOTP secrets sealed in the users
table, re-sealed by a rotation, and the old text of a purge erased from the
database's files (SQLite: the WAL checkpointed and truncated; PostgreSQL: VACUUM)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from chatserver.access.totp_secrets import keyring_for, reseal_all, seal_at_start
from chatserver.security.totp_key import TotpKeyError, is_sealed, rotate_key_file
from chatserver.settings import Settings
from chatserver.storage import Storage
from chatserver.storage.plan import Plan, all_rows, execute
from chatserver.storage.sqlite import SqliteStorage
from tests.poll import wait_until_async

from .conftest import Backend
from .factories import new_contact, seed


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("CHATSERVER_TOTP_KEY", raising=False)
    return Settings(data_dir=tmp_path / "keys")


def _secrets() -> Plan[dict[str, str | None]]:
    rows = yield all_rows("SELECT username, totp_secret FROM users ORDER BY id")
    return {r[0]: r[1] for r in rows}


def _blank_name(contact_id: str) -> Plan[int]:
    changed: int = yield execute("UPDATE contacts SET name = '' WHERE id = ?", contact_id)
    return changed


async def stored_secrets(storage: Storage) -> dict[str, str | None]:
    return await storage.read(_secrets())


async def test_start_seals_clear_text_secrets(storage: Storage, settings: Settings) -> None:
    """The migration: a clear-text secret (an older version's) is sealed at start,
    opens to the same secret, and a second start changes nothing."""
    await seed(storage)  # bob's secret is the clear text "SECRET"
    assert await stored_secrets(storage) == {"alice": None, "bob": "SECRET"}
    assert await seal_at_start(storage, settings) == 1
    stored = await stored_secrets(storage)
    bob = stored["bob"]
    assert bob is not None
    assert is_sealed(bob)
    assert "SECRET" not in bob
    assert stored["alice"] is None
    assert keyring_for(settings).open(bob) == "SECRET"
    assert await seal_at_start(storage, settings) == 0
    assert await stored_secrets(storage) == stored
    assert (settings.data_dir / "totp.key").stat().st_mode & 0o777 == 0o600


async def test_start_refuses_a_key_that_does_not_open_the_secrets(
    storage: Storage, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(storage)
    await seal_at_start(storage, settings)
    monkeypatch.setenv("CHATSERVER_TOTP_KEY", Fernet.generate_key().decode())
    with pytest.raises(TotpKeyError, match="do not open with the configured key"):
        await seal_at_start(storage, settings)


async def test_reseal_moves_every_secret_to_the_newest_key(
    storage: Storage, settings: Settings
) -> None:
    await seed(storage)
    await seal_at_start(storage, settings)
    before = await stored_secrets(storage)
    old_keys = (settings.data_dir / "totp.key").read_text()
    rotate_key_file(settings.data_dir)
    keyring = keyring_for(settings)
    assert await reseal_all(storage, keyring) == 1
    after = await stored_secrets(storage)
    assert after["bob"] != before["bob"]
    assert after["bob"] is not None
    assert keyring.opens_with_first(after["bob"])
    assert keyring.open(after["bob"]) == "SECRET"
    assert await reseal_all(storage, keyring) == 0
    # The old key alone no longer opens it.
    (settings.data_dir / "totp.key").write_text(old_keys)
    with pytest.raises(TotpKeyError):
        keyring_for(settings).open(after["bob"])


async def test_erase_freed_after_a_purge(storage: Storage, backend: Backend) -> None:
    """SQLite: the WAL is checkpointed and truncated to 0 bytes. PostgreSQL: the
    purged tables are vacuumed (outside a transaction, which VACUUM requires)."""
    await seed(storage)
    await storage.create_contact(new_contact("c1", name="Petronella Xylander"))
    assert await storage.write(_blank_name("c1")) == 1
    tables = ("contacts", "messages")
    assert await storage.erase_freed(tables) is True
    if isinstance(storage, SqliteStorage):
        wal = Path(f"{storage.path}-wal")
        assert wal.stat().st_size == 0
        assert b"Petronella Xylander" not in storage.path.read_bytes()
        return
    assert backend.url is not None
    conn = await asyncpg.connect(backend.url)
    try:

        async def vacuumed() -> bool:
            rows = await conn.fetch(
                "SELECT relname FROM pg_stat_user_tables"
                " WHERE relname = ANY($1::text[]) AND last_vacuum IS NOT NULL",
                list(tables),
            )
            return len(rows) == len(tables)

        await wait_until_async(vacuumed)
    finally:
        await conn.close()
    with pytest.raises(ValueError, match="not table names"):
        await storage.erase_freed(["contacts; DROP TABLE users"])
