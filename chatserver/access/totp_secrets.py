"""Staff TOTP secrets at rest: sealed in ``users.totp_secret`` with the TOTP key.

The key and the sealing are :mod:`chatserver.security.totp_key`; this module
holds what touches the users table, as plans (both engines):

* :func:`seal_at_start`: every start seals the clear-text secrets left by an
  older version (the migration) and checks that every sealed one opens with
  the configured key, refusing to start otherwise (a wrong
  ``CHATSERVER_TOTP_KEY`` or another installation's ``totp.key`` would
  otherwise lock every account out at its next sign-in);
* :func:`reseal_all`: the rotation (``chatserver keys rotate-totp``).

Each rewrite is conditional on the value read (``WHERE totp_secret = old``),
so a second factor reset by an admin meanwhile is never overwritten.
"""

from __future__ import annotations

from chatserver.logs import get_logger
from chatserver.security.totp_key import (
    TotpKeyError,
    TotpKeyring,
    TotpKeySettings,
    is_sealed,
    load_keyring,
)
from chatserver.settings import Settings
from chatserver.storage.plan import Database, Plan, all_rows, count

__all__ = ["keyring_for", "open_secret", "reseal_all", "seal_at_start", "seal_secret"]

log = get_logger("chatserver.access.totp_secrets")


def keyring_for(settings: Settings) -> TotpKeyring:
    """The TOTP key of this installation (read again at each call, so a
    rotation by the command line is followed without a restart)."""
    return load_keyring(settings.data_dir, TotpKeySettings().totp_key)


def seal_secret(settings: Settings, secret: str) -> str:
    """What to store in ``users.totp_secret`` for the clear ``secret``."""
    return keyring_for(settings).seal(secret)


def open_secret(settings: Settings, stored: str) -> str:
    """The clear secret of a stored ``users.totp_secret``."""
    return keyring_for(settings).open(stored)


async def seal_at_start(db: Database, settings: Settings) -> int:
    """Seal every clear-text secret and check that every sealed one opens;
    returns how many were sealed. Raises :class:`TotpKeyError` on a wrong key."""
    keyring = keyring_for(settings)
    rows = await db.read(_secrets())
    unreadable = 0
    changes: list[tuple[int, str, str]] = []
    for user_id, stored in rows:
        if not is_sealed(stored):
            changes.append((user_id, stored, keyring.seal(stored)))
            continue
        try:
            keyring.open(stored)
        except TotpKeyError:
            unreadable += 1
    if unreadable:
        raise TotpKeyError(
            f"{unreadable} staff TOTP secret(s) do not open with the configured key:"
            " set CHATSERVER_TOTP_KEY, or restore totp.key, as on the instance that sealed them"
        )
    sealed = await db.write(_replace(changes)) if changes else 0
    if sealed:
        log.info("totp_secrets_sealed", users=sealed)
    return sealed


async def reseal_all(db: Database, keyring: TotpKeyring) -> int:
    """Seal every secret not yet sealed with the keyring's first key with it;
    returns how many were rewritten. Raises :class:`TotpKeyError` if one does
    not open with any of the keyring's keys (nothing is written then)."""
    rows = await db.read(_secrets())
    changes = [
        (user_id, stored, keyring.reseal(stored))
        for user_id, stored in rows
        if not keyring.opens_with_first(stored)
    ]
    return await db.write(_replace(changes)) if changes else 0


def _secrets() -> Plan[list[tuple[int, str]]]:
    rows = yield all_rows(
        "SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL ORDER BY id"
    )
    return [(int(r[0]), str(r[1])) for r in rows]


def _replace(changes: list[tuple[int, str, str]]) -> Plan[int]:
    changed = 0
    for user_id, old, new in changes:
        changed += yield count(
            "UPDATE users SET totp_secret = ? WHERE id = ? AND totp_secret = ?", new, user_id, old
        )
    return changed
