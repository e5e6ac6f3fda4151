"""How to reach a patient or staff member who is away: Web Push subscriptions
and the patient's SMS number (migration 0017), written once for both engines.

The close of a contact (:func:`chatserver.storage.contacts.close`) deletes its
SMS number with :func:`forget_phone` in the same transaction; its push
subscriptions go after the ``closed`` notice has been sent
(:mod:`chatserver.notify.service`), or at the next start at the latest
(:func:`forget_closed`).
"""

# Only column lists and placeholders are put into the SQL text; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from chatserver.storage.plan import Plan, all_rows, count, execute, value

__all__ = [
    "MAX_PER_OWNER",
    "Subscription",
    "delete_subscription",
    "forget_closed",
    "forget_contact_subscriptions",
    "forget_phone",
    "patient_subscriptions",
    "phone_of",
    "put_phone",
    "put_subscription",
    "unit_staff_subscriptions",
]


@dataclass(frozen=True, slots=True)
class Subscription:
    """A browser's push subscription; ``endpoint`` is a secret capability URL."""

    endpoint: str
    p256dh: str
    auth: str
    contact_id: str | None = None
    user_id: int | None = None
    session_hash: str | None = None


# Browsers (phone, laptop, a second profile) one patient or staff member may
# have subscribed at once.
MAX_PER_OWNER = 5

_COLUMNS = "endpoint, p256dh, auth, contact_id, user_id, session_hash"


def _subscription(row: tuple[object, ...]) -> Subscription:
    user_id = row[4]
    return Subscription(
        endpoint=str(row[0]),
        p256dh=str(row[1]),
        auth=str(row[2]),
        contact_id=None if row[3] is None else str(row[3]),
        user_id=None if user_id is None else int(str(user_id)),
        session_hash=None if row[5] is None else str(row[5]),
    )


def put_subscription(sub: Subscription, at: float) -> Plan[None]:
    """Store ``sub``; the same endpoint again replaces the earlier owner and keys
    (a browser has one subscription per service worker)."""
    yield execute(
        f"INSERT INTO push_subscriptions ({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh,"
        " auth = excluded.auth, contact_id = excluded.contact_id,"
        " user_id = excluded.user_id, session_hash = excluded.session_hash,"
        " created_at = excluded.created_at",
        sub.endpoint,
        sub.p256dh,
        sub.auth,
        sub.contact_id,
        sub.user_id,
        sub.session_hash,
        at,
    )
    # A few browsers per person; an owner registering many more is pruned to
    # the newest, so no one can fill the table through one chat or session.
    owner, key = ("contact_id", sub.contact_id) if sub.contact_id else ("user_id", sub.user_id)
    yield execute(
        f"DELETE FROM push_subscriptions WHERE {owner} = ? AND endpoint NOT IN"
        f" (SELECT endpoint FROM push_subscriptions WHERE {owner} = ?"
        " ORDER BY created_at DESC, endpoint LIMIT ?)",
        key,
        key,
        MAX_PER_OWNER,
    )


def patient_subscriptions(contact_id: str) -> Plan[list[Subscription]]:
    rows = yield all_rows(
        f"SELECT {_COLUMNS} FROM push_subscriptions WHERE contact_id = ? ORDER BY created_at",
        contact_id,
    )
    return [_subscription(tuple(r)) for r in rows]


def unit_staff_subscriptions(unit_id: str) -> Plan[list[Subscription]]:
    """The subscriptions of the enabled staff members of ``unit_id``."""
    rows = yield all_rows(
        f"SELECT {', '.join('s.' + c.strip() for c in _COLUMNS.split(','))}"
        " FROM push_subscriptions s JOIN user_units uu ON uu.user_id = s.user_id"
        " JOIN users u ON u.id = s.user_id"
        " WHERE uu.unit_id = ? AND NOT u.disabled ORDER BY s.user_id, s.created_at",
        unit_id,
    )
    return [_subscription(tuple(r)) for r in rows]


def delete_subscription(endpoint: str) -> Plan[int]:
    n: int = yield count("DELETE FROM push_subscriptions WHERE endpoint = ?", endpoint)
    return n


def forget_contact_subscriptions(contact_id: str) -> Plan[int]:
    n: int = yield count("DELETE FROM push_subscriptions WHERE contact_id = ?", contact_id)
    return n


def forget_closed() -> Plan[int]:
    """Subscriptions of closed contacts (a close whose notice was never sent)."""
    n: int = yield count(
        "DELETE FROM push_subscriptions WHERE contact_id IN"
        " (SELECT id FROM contacts WHERE status = 'closed')"
    )
    return n


def put_phone(contact_id: str, phone: str, at: float) -> Plan[bool]:
    """Keep ``phone`` for an open contact; False when it is closed or unknown."""
    status = yield value("SELECT status FROM contacts WHERE id = ?", contact_id)
    if status is None or status == "closed":
        return False
    yield execute(
        "INSERT INTO contact_phones (contact_id, phone, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (contact_id) DO UPDATE SET phone = excluded.phone,"
        " created_at = excluded.created_at",
        contact_id,
        phone,
        at,
    )
    return True


def phone_of(contact_id: str) -> Plan[str | None]:
    phone = yield value("SELECT phone FROM contact_phones WHERE contact_id = ?", contact_id)
    return None if phone is None else str(phone)


def forget_phone(contact_id: str) -> Plan[None]:
    yield execute("DELETE FROM contact_phones WHERE contact_id = ?", contact_id)
