"""Plans for what travels with a contact to whoever picks it next.

The internal notes, the transfer notes and the red-flag screen's answers are
contact events (kinds :data:`HANDOVER_KINDS`); this reads them for one or
many contacts in one statement, with the author's display name. Written once
for both engines (:mod:`.plan`); what they mean for staff is decided in
:mod:`chatserver.core.handover`.
"""

# SQL here is composed only of module constants and "?" placeholders (the
# dialect's list condition); every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence

from .base import HandoverEvent
from .plan import Dialect, Plan, all_rows
from .rows import loads

__all__ = ["HANDOVER_KINDS", "handover_events"]

HANDOVER_KINDS = ("note", "transfer", "screening")


def handover_events(d: Dialect, contact_ids: Sequence[str]) -> Plan[list[HandoverEvent]]:
    """The handover events of ``contact_ids``, oldest first per contact."""
    if not contact_ids:
        return []
    in_contacts, params = d.any_of("e.contact_id", contact_ids)
    in_kinds, kinds = d.any_of("e.kind", HANDOVER_KINDS)
    rows = yield all_rows(
        "SELECT e.contact_id, e.kind, e.at, u.display_name, e.data"
        " FROM contact_events e LEFT JOIN users u ON u.id = e.actor_user_id"
        f" WHERE {in_contacts} AND {in_kinds} ORDER BY e.contact_id, e.id",
        *params,
        *kinds,
    )
    return [
        HandoverEvent(contact_id=r[0], kind=r[1], at=float(r[2]), author=r[3], data=loads(r[4]))
        for r in rows
    ]
