"""Which units a statistics request covers, and whether the caller may see them."""

from __future__ import annotations

from collections.abc import Mapping

from chatserver.access.policy import can_view_stats
from chatserver.errors import Forbidden, InvalidInput, NotFoundError
from chatserver.storage.base import Queue, User

__all__ = ["check_import_units", "resolve_scope"]


def resolve_scope(
    user: User,
    params: Mapping[str, str],
    all_units: list[str],
    queues: list[Queue],
) -> tuple[list[str], str | None]:
    """``unit`` given: that unit (404 unknown, 403 not the caller's). Absent:
    every unit the caller may see (admins: all; managers: their own).
    ``queue`` given: must belong to the chosen units (404 otherwise)."""
    if user.disabled or user.role not in ("manager", "admin"):
        raise Forbidden("forbidden", "statistics are for managers and admins")
    unit = params.get("unit")
    if unit:
        if unit not in all_units:
            raise NotFoundError("unknown_unit", "no such unit")
        if not can_view_stats(user, unit):
            raise Forbidden("forbidden", "not one of your units")
        units = [unit]
    else:
        units = [u for u in all_units if can_view_stats(user, u)]
    queue = params.get("queue") or None
    if queue is not None and not any(q.id == queue and q.unit_id in units for q in queues):
        raise NotFoundError("unknown_queue", "no such queue in the chosen units")
    if not units:
        raise InvalidInput("invalid_field", "no units to report on", fields={"unit": "a unit id"})
    return units, queue


def check_import_units(user: User, unit_ids: set[str]) -> None:
    """403 unless the caller may manage every unit of the import."""
    if user.disabled or user.role not in ("manager", "admin"):
        raise Forbidden("forbidden", "imports are for managers and admins")
    refused = sorted(u for u in unit_ids if not can_view_stats(user, u))
    if refused:
        raise Forbidden(
            "forbidden", "not your units: " + ", ".join(refused[:10]), extra={"units": refused}
        )
