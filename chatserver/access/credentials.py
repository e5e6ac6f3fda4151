"""A staff member's own credentials: the password change (forced at the first
sign-in of an account made or reset by an admin), TOTP self-enrolment (so no
admin ever sees a nurse's secret), and their own sessions (list, revoke).

A session whose user still has a step to do (:func:`pending_step`) is
*pending*: it may only do that step, read ``/api/staff/me`` and log out
(``http/staff.current_session``); every other staff route answers 403 with
the step's code and the staff socket closes with 4403.

The plans here run on both engines through the :class:`Database` port.
"""

# SQL here is composed only of module constants and "?" placeholders.

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from chatserver.storage.base import User
from chatserver.storage.plan import Plan, all_rows, count, execute

__all__ = [
    "PendingStep",
    "SessionInfo",
    "confirm_totp",
    "end_sessions_except",
    "pending_step",
    "public_session_id",
    "sessions_of",
    "set_own_password",
    "set_password_by_admin",
    "set_totp_pending",
    "trim_sessions",
]

PendingStep = Literal["password_change_required", "totp_enrolment_required"]


def pending_step(user: User, *, require_otp: bool, method: str = "password") -> PendingStep | None:
    """What the user must do before anything else, or None. A session signed in
    with SITHS (``method`` "siths") has nothing to do: the card is the strong
    authentication, and no password or TOTP is asked after it."""
    if method == "siths":
        return None
    if user.must_change_password:
        return "password_change_required"
    if require_otp and user.totp_secret is None:
        return "totp_enrolment_required"
    return None


def public_session_id(id_hash: str) -> str:
    """The id a session is listed and revoked by: derived from the stored hash
    (itself the SHA-256 of the cookie), so it reveals neither."""
    return hashlib.sha256(b"session-id:" + id_hash.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id_hash: str
    created_at: float
    last_seen_at: float

    @property
    def public_id(self) -> str:
        return public_session_id(self.id_hash)


def sessions_of(user_id: int) -> Plan[list[SessionInfo]]:
    """The user's sessions, newest first."""
    rows = yield all_rows(
        "SELECT id_hash, created_at, last_seen_at FROM sessions WHERE user_id = ?"
        " ORDER BY created_at DESC, id_hash",
        user_id,
    )
    return [SessionInfo(str(r[0]), float(r[1]), float(r[2])) for r in rows]


def trim_sessions(user_id: int, keep: int) -> Plan[list[str]]:
    """End the user's oldest sessions beyond the newest ``keep``; returns the
    hashes ended."""
    rows = yield all_rows(
        "SELECT id_hash FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id_hash",
        user_id,
    )
    ended = [str(r[0]) for r in rows[keep:]]
    for id_hash in ended:
        yield execute("DELETE FROM sessions WHERE id_hash = ?", id_hash)
    return ended


def end_sessions_except(user_id: int, keep_hash: str) -> Plan[list[str]]:
    """End every session of the user but ``keep_hash``; returns the hashes ended."""
    rows = yield all_rows(
        "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ? RETURNING id_hash",
        user_id,
        keep_hash,
    )
    return [str(r[0]) for r in rows]


def set_own_password(user_id: int, old_hash: str, new_hash: str) -> Plan[bool]:
    """The user's password changed by themselves: the forced change is done.
    Conditional on the hash the current password was checked against, so a
    concurrent change (or an admin reset) is not silently overwritten."""
    changed = yield count(
        "UPDATE users SET password_hash = ?, must_change_password = FALSE"
        " WHERE id = ? AND password_hash = ?",
        new_hash,
        user_id,
        old_hash,
    )
    return bool(changed)


def set_password_by_admin(user_id: int, new_hash: str) -> Plan[bool]:
    """An admin's reset: the user must choose their own at the next sign-in."""
    changed = yield count(
        "UPDATE users SET password_hash = ?, must_change_password = TRUE WHERE id = ?",
        new_hash,
        user_id,
    )
    return bool(changed)


def set_totp_pending(user_id: int, sealed: str) -> Plan[bool]:
    """Keep a new secret being enrolled; only while none is active."""
    changed = yield count(
        "UPDATE users SET totp_pending = ? WHERE id = ? AND totp_secret IS NULL",
        sealed,
        user_id,
    )
    return bool(changed)


def confirm_totp(user_id: int, sealed: str) -> Plan[bool]:
    """The pending secret ``sealed`` becomes the active one (the user has
    shown a code of it); False when it is no longer the pending one."""
    changed = yield count(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL"
        " WHERE id = ? AND totp_pending = ? AND totp_secret IS NULL",
        user_id,
        sealed,
    )
    return bool(changed)


def clear_totp(user_ids: Sequence[int]) -> Plan[int]:
    """Admin reset of the second factor: the user enrols again at next sign-in."""
    changed = 0
    for user_id in user_ids:
        changed += yield count(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL WHERE id = ?", user_id
        )
    return changed
