"""The one urgency order of the service (pure).

Triage levels, most to least urgent, are the declaration order of
:class:`triage.Level` (PROTOCOL.md "Intake": ``emergency``, ``urgent``,
``standard``, ``non_urgent``). Everything that ranks, compares or lists levels
(the life cycle's raise rule, the waiting room's head starts, the wire's
``override`` validation, the statistics) uses the names below instead of a
copy of the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from triage.model import Level

# Most urgent first.
URGENCY: tuple[Level, ...] = tuple(Level)
LEVELS: tuple[str, ...] = tuple(level.value for level in URGENCY)
# 0 for the most urgent level; ``rank`` answers for unknown levels too.
LEVEL_RANK: Mapping[str, int] = MappingProxyType({name: i for i, name in enumerate(LEVELS)})
LEAST_URGENT_RANK = len(LEVELS) - 1


def rank(level: str) -> int:
    """0 for ``emergency`` up to 3 for ``non_urgent``; an unknown level ranks least urgent."""
    return LEVEL_RANK.get(level, LEAST_URGENT_RANK)


def more_urgent(level: str, than: str) -> bool:
    """True when ``level`` is strictly more urgent than ``than``."""
    return rank(level) < rank(than)


def is_level(value: str) -> bool:
    """True for one of the four level names."""
    return value in LEVEL_RANK
