"""Plans for the OpenID Connect sign-in (tables of migration 0010), written
once for both engines: the pending sign-ins, the identified patients'
sessions, and the staff accounts' HSA-ids.

A pending sign-in is taken with ``DELETE ... RETURNING``: one statement that
two callbacks with the same ``state`` (a replay, a double click, two
instances) cannot both win.
"""

# SQL here is composed only of module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from chatserver.identity.personnummer import Personnummer, parse
from chatserver.storage.base import Conflict, NotFound
from chatserver.storage.plan import Plan, count, execute, one, value

__all__ = [
    "PatientSession",
    "PendingLogin",
    "create_patient_session",
    "delete_patient_session",
    "get_patient_session",
    "put_pending",
    "set_hsa_id",
    "take_pending",
    "touch_patient_session",
    "user_id_by_hsa_id",
]

# Expired rows deleted per new row: bounds the work of one sign-in while
# abandoned sign-ins and old sessions drain away.
PRUNE_BATCH = 200

_PATIENT_COLUMNS = "id_hash, personnummer, name, created_at, last_seen_at, expires_at, method"


@dataclass(frozen=True, slots=True)
class PendingLogin:
    side: str
    nonce: str
    code_verifier: str
    return_to: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class PatientSession:
    """An identified patient: the cookie's SHA-256, who, and until when."""

    id_hash: str
    personnummer: Personnummer  # its repr is masked
    name: str
    created_at: float
    last_seen_at: float
    expires_at: float
    # The e-legitimation signed in with: 'bankid', 'freja' or 'eid' (unknown);
    # chatserver/identity/method.py, migration 0012.
    method: str = "eid"


def put_pending(state_hash: str, pending: PendingLogin, created_at: float) -> Plan[None]:
    yield execute(
        "DELETE FROM oidc_pending WHERE state_hash IN (SELECT state_hash FROM oidc_pending"
        " WHERE expires_at < ? LIMIT ?)",
        created_at,
        PRUNE_BATCH,
    )
    yield execute(
        "INSERT INTO oidc_pending (state_hash, side, nonce, code_verifier, return_to,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        state_hash,
        pending.side,
        pending.nonce,
        pending.code_verifier,
        pending.return_to,
        created_at,
        pending.expires_at,
    )


def take_pending(state_hash: str) -> Plan[PendingLogin | None]:
    """The pending sign-in of a state, deleted as it is read (whether live or not)."""
    row = yield one(
        "DELETE FROM oidc_pending WHERE state_hash = ?"
        " RETURNING side, nonce, code_verifier, return_to, expires_at",
        state_hash,
    )
    if row is None:
        return None
    return PendingLogin(
        side=row[0],
        nonce=row[1],
        code_verifier=row[2],
        return_to=row[3],
        expires_at=float(row[4]),
    )


def create_patient_session(session: PatientSession) -> Plan[None]:
    yield execute(
        "DELETE FROM patient_sessions WHERE id_hash IN (SELECT id_hash FROM patient_sessions"
        " WHERE expires_at < ? LIMIT ?)",
        session.created_at,
        PRUNE_BATCH,
    )
    yield execute(
        f"INSERT INTO patient_sessions ({_PATIENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        session.id_hash,
        session.personnummer.digits,
        session.name,
        session.created_at,
        session.last_seen_at,
        session.expires_at,
        session.method,
    )


def get_patient_session(id_hash: str) -> Plan[PatientSession | None]:
    row = yield one(f"SELECT {_PATIENT_COLUMNS} FROM patient_sessions WHERE id_hash = ?", id_hash)
    if row is None:
        return None
    return PatientSession(
        id_hash=row[0],
        personnummer=parse(row[1]),
        name=row[2],
        created_at=float(row[3]),
        last_seen_at=float(row[4]),
        expires_at=float(row[5]),
        method=str(row[6]),
    )


def touch_patient_session(id_hash: str, at: float) -> Plan[None]:
    yield execute("UPDATE patient_sessions SET last_seen_at = ? WHERE id_hash = ?", at, id_hash)


def delete_patient_session(id_hash: str) -> Plan[None]:
    yield execute("DELETE FROM patient_sessions WHERE id_hash = ?", id_hash)


def user_id_by_hsa_id(hsa_id: str) -> Plan[int | None]:
    found = yield value("SELECT id FROM users WHERE hsa_id = ?", hsa_id)
    return None if found is None else int(found)


def set_hsa_id(username: str, hsa_id: str | None) -> Plan[int]:
    """Give ``username`` the HSA-id (None removes it); :class:`Conflict` if another
    account has it, :class:`NotFound` for an unknown account. Returns the user id."""
    user_id = yield value("SELECT id FROM users WHERE username = ?", username)
    if user_id is None:
        raise NotFound(f"user {username!r}")
    if hsa_id is not None:
        other = yield value("SELECT id FROM users WHERE hsa_id = ? AND id <> ?", hsa_id, user_id)
        if other is not None:
            raise Conflict(f"HSA-id {hsa_id!r} belongs to another account")
    yield count("UPDATE users SET hsa_id = ? WHERE id = ?", hsa_id, user_id)
    return int(user_id)
