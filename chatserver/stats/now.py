"""The manager's "now" view: the units' queues and staff at this moment.

Counts only, never a patient's row: per queue how many wait and the oldest
wait, how many clinical staff (nurses, doctors) of the unit are connected,
and how many chats each of them has open. Nothing here reads patient data,
so the read is not audited (docs/statistics.md "Now").

:func:`now_view` is pure (the figures from what was read); the plans
:func:`staff_of_units` and :func:`open_chats` read the database on either
engine; the route (:mod:`.http`) reads the waiting rooms and who is connected.
"""

# SQL here is built only from module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chatserver.storage.plan import Dialect, Plan, all_rows

__all__ = [
    "CLINICAL_ROLES",
    "QueueNow",
    "StaffMember",
    "now_view",
    "open_chats",
    "staff_of_units",
]

# Who answers chats (PROTOCOL.md roles); managers and admins only watch.
CLINICAL_ROLES = ("nurse", "doctor")


@dataclass(frozen=True, slots=True)
class QueueNow:
    """One queue at this moment: its id, unit and name, how many wait, the oldest wait."""

    id: str
    unit_id: str
    name: str
    waiting: int
    oldest_wait_s: int


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A clinical user of a unit (a user of two units counts in each)."""

    unit_id: str
    user_id: int
    display_name: str


def staff_of_units(d: Dialect, unit_ids: Sequence[str]) -> Plan[list[StaffMember]]:
    """The enabled nurses and doctors of ``unit_ids``."""
    where, params = d.any_of("uu.unit_id", unit_ids)
    roles, role_params = d.any_of("u.role", CLINICAL_ROLES)
    rows = yield all_rows(
        "SELECT uu.unit_id, u.id, u.display_name FROM user_units uu"
        " JOIN users u ON u.id = uu.user_id"
        f" WHERE {where} AND {roles} AND NOT u.disabled"
        " ORDER BY uu.unit_id, u.display_name, u.id",
        *params,
        *role_params,
    )
    return [StaffMember(str(r[0]), int(r[1]), str(r[2])) for r in rows]


def open_chats(d: Dialect, unit_ids: Sequence[str]) -> Plan[dict[tuple[str, int], int]]:
    """Chats open now (assigned) per (unit, staff member)."""
    where, params = d.any_of("unit_id", unit_ids)
    rows = yield all_rows(
        "SELECT unit_id, assigned_user_id, COUNT(*) FROM contacts"
        f" WHERE {where} AND status = 'assigned' AND assigned_user_id IS NOT NULL"
        " GROUP BY unit_id, assigned_user_id",
        *params,
    )
    return {(str(r[0]), int(r[1])): int(r[2]) for r in rows}


def now_view(
    units: Sequence[tuple[str, str]],
    queues: Sequence[QueueNow],
    staff: Sequence[StaffMember],
    online: Collection[int],
    chats: Mapping[tuple[str, int], int],
) -> list[dict[str, Any]]:
    """The "now" figures of each unit (``units``: id and name, in order).

    A staff member is listed under ``chats_per_staff`` when connected or
    holding a chat (a nurse whose socket dropped still has her chats); the
    list is ordered by most chats first, then name.
    """
    out: list[dict[str, Any]] = []
    for unit_id, name in units:
        unit_queues = [q for q in queues if q.unit_id == unit_id]
        members = [s for s in staff if s.unit_id == unit_id]
        counted = [(chats.get((unit_id, s.user_id), 0), s) for s in members]
        counted.sort(key=lambda cs: (-cs[0], cs[1].display_name, cs[1].user_id))
        listed = [
            {
                "user_id": s.user_id,
                "display_name": s.display_name,
                "online": s.user_id in online,
                "chats": n,
            }
            for n, s in counted
            if n or s.user_id in online
        ]
        out.append(
            {
                "unit_id": unit_id,
                "name": name,
                "queues": [
                    {
                        "id": q.id,
                        "name": q.name,
                        "waiting": q.waiting,
                        "oldest_wait_s": q.oldest_wait_s,
                    }
                    for q in unit_queues
                ],
                "waiting": sum(q.waiting for q in unit_queues),
                "oldest_wait_s": max((q.oldest_wait_s for q in unit_queues), default=0),
                "staff_online": sum(1 for s in members if s.user_id in online),
                "open_chats": sum(v for (u, _), v in chats.items() if u == unit_id),
                "chats_per_staff": listed,
            }
        )
    return out
