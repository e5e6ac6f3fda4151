"""Storage plans for a unit's public-holiday flag (``units.public_holidays``,
migration 0018), run by either engine through ``Database.read``/``write``."""

from __future__ import annotations

from chatserver.storage.plan import Plan, all_rows, count

__all__ = ["opted_out_units", "set_public_holidays"]


def opted_out_units() -> Plan[frozenset[str]]:
    """Ids of the units that stay on their weekly hours on public holidays."""
    rows = yield all_rows("SELECT id FROM units WHERE public_holidays = 0")
    return frozenset(r[0] for r in rows)


def set_public_holidays(unit_id: str, follow: bool) -> Plan[bool]:
    """Set whether the unit closes on public holidays; False for an unknown unit."""
    n = yield count(
        "UPDATE units SET public_holidays = ? WHERE id = ?", 1 if follow else 0, unit_id
    )
    return bool(n == 1)
