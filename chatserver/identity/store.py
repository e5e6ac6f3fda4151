"""Identified patients: :class:`IdentityStore`, one implementation for both engines.

A contact made with a patient session (e-legitimation) is *bound* to the
person who signed in: one row of ``contact_identities`` (migration 0011) per
identified contact, keyed by the contact. A contact without a row is
anonymous, so "identified" costs one primary-key lookup (:meth:`identified`
for a staff list).

From the person's side, the same table gives their contacts
(``GET /api/patient/contacts``) and, joined to the audit log, who in the staff
read or changed their data (``GET /api/patient/access-log``, PDL 8 kap. 5 §).

Reading a person's identity is patient data: the *caller* audits it (this
store does no auditing; it is the data, not the policy). Retention removes the
binding of every contact whose free text was purged (:meth:`forget_purged`),
so a personnummer is kept no longer than the contact's own words.
"""

# SQL here is composed only of module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chatserver.core.lifecycle import ContactStatus
from chatserver.identity.personnummer import Personnummer, parse
from chatserver.storage.base import Conflict, NotFound
from chatserver.storage.plan import Database, Dialect, Plan, all_rows, count, one, value

__all__ = ["AccessEntry", "ContactIdentity", "IdentityStore", "PersonContact"]

_COLUMNS = "contact_id, personnummer, name, method, verified_at"


@dataclass(frozen=True, slots=True)
class ContactIdentity:
    """The person a contact is bound to, as verified at sign-in."""

    contact_id: str
    personnummer: Personnummer  # its repr is masked
    name: str
    method: str  # 'bankid', 'freja', ... as the sign-in reported it
    verified_at: float


@dataclass(frozen=True, slots=True)
class PersonContact:
    """One of a person's contacts, for their own list."""

    contact_id: str
    unit_id: str
    status: str
    created_at: float
    closed_at: float | None


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One staff access to a person's data, as the audit log recorded it."""

    at: str  # the audit event's time (UTC ISO 8601, as in audit_events.at)
    contact_id: str
    action: str
    user_name: str  # the staff member's display name (their user name if the account is gone)
    role: str | None
    unit_id: str | None  # the care unit of the contact
    unit_name: str | None


class IdentityStore:
    """The ``contact_identities`` table on either engine (a :class:`Database`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def bind(
        self, contact_id: str, personnummer: Personnummer, name: str, method: str, at: float
    ) -> bool:
        """Bind ``contact_id`` to the person; True if bound now, False if it already was.

        Binding the same person again changes nothing (the first verification
        stays). :class:`Conflict` if the contact is bound to someone else,
        :class:`NotFound` if there is no such contact.
        """
        plan = _bind(self.db.dialect, contact_id, personnummer.digits, name, method, at)
        return await self.db.write(plan)

    async def identity_of(self, contact_id: str) -> ContactIdentity | None:
        """The person bound to ``contact_id``; None for an anonymous contact.
        The caller audits this read."""
        return await self.db.read(_identity_of(contact_id))

    async def identities_of(self, contact_ids: Sequence[str]) -> dict[str, ContactIdentity]:
        """The person bound to each of ``contact_ids`` that is identified, by
        contact id, in one query. The caller audits this read."""
        if not contact_ids:
            return {}
        return await self.db.read(_identities_of(self.db.dialect, contact_ids))

    async def identified(self, contact_ids: Sequence[str]) -> set[str]:
        """Those of ``contact_ids`` that are bound to a person (the rest are anonymous)."""
        if not contact_ids:
            return set()
        return await self.db.read(_identified(self.db.dialect, contact_ids))

    async def contacts_of(self, personnummer: Personnummer) -> list[PersonContact]:
        """The person's contacts, newest first."""
        return await self.db.read(_contacts_of(personnummer.digits))

    async def access_log(self, personnummer: Personnummer, limit: int) -> list[AccessEntry]:
        """Staff accesses to the person's contacts, newest first, at most ``limit``.

        Only events of a staff account that succeeded: the patient's own
        actions and the system's (no account) are not accesses by others, and
        a refused attempt read nothing.
        """
        return await self.db.read(_access_log(personnummer.digits, limit))

    async def reissue_token(self, contact_id: str, token_hash: str) -> bool:
        """Replace the patient token of a contact that is not closed (the old
        token stops working); False if the contact is closed or gone."""
        return await self.db.write(_reissue_token(self.db.dialect, contact_id, token_hash))

    async def forget_purged(self) -> int:
        """Delete the binding of every contact whose free text retention purged;
        the number deleted. Idempotent: the retention run calls it every time."""
        return await self.db.write(_forget_purged())


# -- plans --------------------------------------------------------------------


def _bind(
    d: Dialect, contact_id: str, digits: str, name: str, method: str, at: float
) -> Plan[bool]:
    # The contact row lock (PostgreSQL) serialises two binds of one contact.
    lock = f"SELECT 1 FROM contacts WHERE id = ?{d.for_update}"
    if (yield one(lock, contact_id)) is None:
        raise NotFound(contact_id)
    bound = yield value(
        "SELECT personnummer FROM contact_identities WHERE contact_id = ?", contact_id
    )
    if bound is not None:
        if bound != digits:
            raise Conflict(contact_id)  # never say whom it is bound to
        return False
    yield count(
        f"INSERT INTO contact_identities ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
        contact_id,
        digits,
        name,
        method,
        at,
    )
    return True


def _identity(row: Sequence[Any]) -> ContactIdentity:
    contact_id, digits, name, method, verified_at = row
    # Stored only after validation: parse cannot fail, and the 12-digit form
    # needs no "today".
    return ContactIdentity(str(contact_id), parse(digits), name, method, float(verified_at))


def _identity_of(contact_id: str) -> Plan[ContactIdentity | None]:
    row = yield one(f"SELECT {_COLUMNS} FROM contact_identities WHERE contact_id = ?", contact_id)
    return None if row is None else _identity(row)


def _identities_of(d: Dialect, contact_ids: Sequence[str]) -> Plan[dict[str, ContactIdentity]]:
    among, params = d.any_of("contact_id", list(contact_ids))
    rows = yield all_rows(f"SELECT {_COLUMNS} FROM contact_identities WHERE {among}", *params)
    found = (_identity(r) for r in rows)
    return {i.contact_id: i for i in found}


def _identified(d: Dialect, contact_ids: Sequence[str]) -> Plan[set[str]]:
    among, params = d.any_of("contact_id", list(contact_ids))
    rows = yield all_rows(f"SELECT contact_id FROM contact_identities WHERE {among}", *params)
    return {str(r[0]) for r in rows}


def _contacts_of(digits: str) -> Plan[list[PersonContact]]:
    rows = yield all_rows(
        "SELECT c.id, c.unit_id, c.status, c.created_at, c.closed_at"
        " FROM contact_identities i JOIN contacts c ON c.id = i.contact_id"
        " WHERE i.personnummer = ? ORDER BY c.created_at DESC, c.id DESC",
        digits,
    )
    return [
        PersonContact(str(cid), str(unit), str(status), float(created), _float(closed))
        for cid, unit, status, created, closed in rows
    ]


def _access_log(digits: str, limit: int) -> Plan[list[AccessEntry]]:
    # actor_user_id: only staff accounts act on patient data by name; the
    # patient's own actions and system events (retention) have none.
    rows = yield all_rows(
        "SELECT a.at, a.contact_id, a.action, COALESCE(u.display_name, a.actor_username, ''),"
        " a.actor_role, a.unit_id, n.name"
        " FROM contact_identities i"
        " JOIN audit_events a ON a.contact_id = i.contact_id"
        " LEFT JOIN users u ON u.id = a.actor_user_id"
        " LEFT JOIN units n ON n.id = a.unit_id"
        " WHERE i.personnummer = ? AND a.actor_user_id IS NOT NULL AND a.result = 'ok'"
        " ORDER BY a.at DESC, a.seq DESC LIMIT ?",
        digits,
        limit,
    )
    return [AccessEntry(*r) for r in rows]


def _reissue_token(d: Dialect, contact_id: str, token_hash: str) -> Plan[bool]:
    row = yield one(f"SELECT status FROM contacts WHERE id = ?{d.for_update}", contact_id)
    if row is None or row[0] == ContactStatus.CLOSED:
        return False
    yield count("UPDATE contacts SET patient_token_hash = ? WHERE id = ?", token_hash, contact_id)
    return True


def _forget_purged() -> Plan[int]:
    deleted = yield count(
        "DELETE FROM contact_identities"
        " WHERE contact_id IN (SELECT contact_id FROM retention_purges)"
    )
    return int(deleted)


def _float(v: Any) -> float | None:
    return None if v is None else float(v)
