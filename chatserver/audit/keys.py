"""The audit key: HMAC key of event signatures and checkpoints.

``CHATSERVER_AUDIT_KEY`` (at least 32 characters, e.g. ``openssl rand -hex 32``
from a secret store) wins. Without it a random key is generated once in
``<data_dir>/audit.key`` with permissions 0600, so a fresh install is protected
against edits by anyone who can write the database but not read that file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

KEY_FILE = "audit.key"
CHECKPOINT_FILE = "audit.checkpoint"
# 32 characters: at least 128 bits even for a hex key.
MIN_KEY_CHARS = 32


class AuditKeyError(Exception):
    """The configured key is unusable (too short, or the key file is unreadable)."""


class AuditSettings(BaseSettings):
    """The audit module's own settings (same ``CHATSERVER_`` prefix)."""

    model_config = SettingsConfigDict(env_prefix="CHATSERVER_", extra="ignore")

    audit_key: SecretStr | None = None
    # Where the signed chain head is written; default <data_dir>/audit.checkpoint.
    audit_checkpoint_path: Path | None = None


def load_key(data_dir: Path, configured: SecretStr | None = None, *, create: bool = True) -> bytes:
    """The configured key, else the key file in ``data_dir`` (created if missing
    and ``create``; verification never creates one)."""
    if configured is not None:
        value = configured.get_secret_value()
        if len(value) < MIN_KEY_CHARS:
            raise AuditKeyError(f"CHATSERVER_AUDIT_KEY must be at least {MIN_KEY_CHARS} characters")
        return value.encode()
    path = data_dir / KEY_FILE
    if not path.exists() and create:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            # O_EXCL: two processes starting at once never overwrite each other's key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
                f.flush()
                os.fsync(f.fileno())
    try:
        value = path.read_text().strip()
    except OSError as exc:
        raise AuditKeyError(f"cannot read the audit key file {path}: {exc}") from exc
    if len(value) < MIN_KEY_CHARS:
        raise AuditKeyError(f"the audit key file {path} is too short")
    return value.encode()


def login_name_digest(key: bytes, name: str) -> str:
    """HMAC-SHA-256 of a sign-in name that is no account's (it may be a password
    typed into the wrong field): the log can show that the same unknown name
    was tried again, and someone holding the key can check a given name, but
    the log itself never holds it. Case-insensitive, as the lockout's name key."""
    return hmac.new(key, ("login-name:" + name.lower()).encode(), hashlib.sha256).hexdigest()


def checkpoint_path(data_dir: Path, configured: Path | None = None) -> Path:
    return configured if configured is not None else data_dir / CHECKPOINT_FILE
