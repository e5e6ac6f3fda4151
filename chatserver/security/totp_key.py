"""The key that seals staff TOTP secrets in the database.

A TOTP secret is as good as the second factor itself, so the ``users`` table
holds it sealed (``fernet:<token>``: AES-128-CBC with HMAC-SHA-256, the
``cryptography`` package's Fernet) under a key kept outside the database:

* ``CHATSERVER_TOTP_KEY``: one or more Fernet keys (``python -c "from
  cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``),
  comma-separated, newest first, from a secret store. Wins over the file;
* otherwise ``<data_dir>/totp.key``, one key per line, newest first, created
  0600 with one random key on first use (beside ``audit.key``).

New secrets are sealed with the first key; every listed key opens. Rotation
(``chatserver keys rotate-totp``, :mod:`chatserver.access.totp_secrets`)
puts a new key in front, re-seals every secret with it, then drops the old
keys. Each use reads the key again, so a running service follows a rotation.

A stored value without the ``fernet:`` prefix is a clear-text secret written
before sealing existed: it still opens (as itself) and is sealed at the next
start (:func:`chatserver.access.totp_secrets.seal_clear_secrets`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "KEY_FILE",
    "SEALED_PREFIX",
    "TotpKeyError",
    "TotpKeySettings",
    "TotpKeyring",
    "is_sealed",
    "load_keyring",
    "rotate_key_file",
    "trim_key_file",
]

KEY_FILE = "totp.key"
SEALED_PREFIX = "fernet:"


class TotpKeyError(Exception):
    """The key is unusable, or a sealed secret does not open with it."""


class TotpKeySettings(BaseSettings):
    """The TOTP key's own setting (same ``CHATSERVER_`` prefix)."""

    model_config = SettingsConfigDict(env_prefix="CHATSERVER_", extra="ignore")

    totp_key: SecretStr | None = None


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


class TotpKeyring:
    """Seals with the first key, opens with any of them."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise TotpKeyError("no TOTP key")
        try:
            self._fernets = [Fernet(k) for k in keys]
        except ValueError:
            raise TotpKeyError(
                "a TOTP key is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
        self._all = MultiFernet(self._fernets)

    def seal(self, secret: str) -> str:
        return SEALED_PREFIX + self._fernets[0].encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The clear secret of a stored value (a clear-text one is returned as is)."""
        if not is_sealed(stored):
            return stored
        try:
            return self._all.decrypt(stored[len(SEALED_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise TotpKeyError(
                "a TOTP secret does not open with the configured key"
                " (CHATSERVER_TOTP_KEY or totp.key from another installation?)"
            ) from None

    def opens_with_first(self, stored: str) -> bool:
        """True when ``stored`` is sealed with the first (newest) key."""
        if not is_sealed(stored):
            return False
        try:
            self._fernets[0].decrypt(stored[len(SEALED_PREFIX) :].encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, stored: str) -> str:
        """``stored`` sealed with the first key (clear text is sealed)."""
        return self.seal(self.open(stored))


def load_keyring(
    data_dir: Path, configured: SecretStr | None = None, *, create: bool = True
) -> TotpKeyring:
    """The keys of ``CHATSERVER_TOTP_KEY`` (``configured``), else of the key file
    in ``data_dir`` (created with one new key if missing and ``create``)."""
    if configured is not None:
        return TotpKeyring(_parse(configured.get_secret_value().replace(",", "\n")))
    path = data_dir / KEY_FILE
    if not path.exists() and create:
        _write_new(path, [Fernet.generate_key()])
    try:
        text = path.read_text()
    except OSError as exc:
        raise TotpKeyError(f"cannot read the TOTP key file {path}: {exc}") from None
    return TotpKeyring(_parse(text))


def _parse(text: str) -> list[bytes]:
    return [line.strip().encode() for line in text.splitlines() if line.strip()]


def rotate_key_file(data_dir: Path) -> None:
    """Put a new key in front of the key file's keys (the old ones still open)."""
    path = data_dir / KEY_FILE
    old = _parse(path.read_text()) if path.exists() else []
    _replace(path, [Fernet.generate_key(), *old])


def trim_key_file(data_dir: Path) -> None:
    """Keep only the key file's first key (after every secret was re-sealed with it)."""
    path = data_dir / KEY_FILE
    _replace(path, _parse(path.read_text())[:1])


def _write_new(path: Path, keys: Sequence[bytes]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once never overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    _write_keys(fd, keys)


def _replace(path: Path, keys: Sequence[bytes]) -> None:
    """Write ``keys`` to a new 0600 file and rename it over ``path`` (atomic)."""
    tmp = path.with_name(f".{path.name}.new")
    tmp.unlink(missing_ok=True)
    _write_keys(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), keys)
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # not every filesystem can fsync a directory
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_keys(fd: int, keys: Sequence[bytes]) -> None:
    with os.fdopen(fd, "w") as f:
        f.write("".join(k.decode() + "\n" for k in keys))
        f.flush()
        os.fsync(f.fileno())
