"""The one urgency order, and that every part of the service uses it."""

from __future__ import annotations

import importlib

import triage
from chatserver.core import urgency
from chatserver.core.urgency import LEVEL_RANK, LEVELS, URGENCY, more_urgent, rank
from chatserver.core.waiting_room import AGEING_CREDIT_S


def test_the_contract_order() -> None:
    """Most to least urgent, as PROTOCOL.md lists the levels."""
    assert LEVELS == ("emergency", "urgent", "standard", "non_urgent")
    assert tuple(triage.Level) == URGENCY
    assert dict(LEVEL_RANK) == {"emergency": 0, "urgent": 1, "standard": 2, "non_urgent": 3}


def test_rank_and_comparison() -> None:
    """rank follows the order; an unknown level ranks as the least urgent."""
    assert [rank(x) for x in LEVELS] == [0, 1, 2, 3]
    assert rank("??") == 3
    assert more_urgent("urgent", "standard") is True
    assert more_urgent("standard", "standard") is False
    assert more_urgent("non_urgent", "??") is False
    assert urgency.is_level("urgent") is True
    assert urgency.is_level("URGENT") is False


def test_triage_ranks_by_the_same_order() -> None:
    """triage.Level.rank agrees with the core's rank for every level."""
    assert [level.rank for level in triage.Level] == [rank(x) for x in LEVELS]


def test_head_starts_shrink_along_the_order() -> None:
    """The waiting room's ageing credits are keyed by every level, most urgent largest."""
    credits = [AGEING_CREDIT_S[x] for x in LEVELS]
    assert set(AGEING_CREDIT_S) == set(LEVELS)
    assert credits == sorted(credits, reverse=True)
    assert len(set(credits)) == len(credits)


def test_statistics_use_the_same_definition() -> None:
    """The statistics import the order rather than keeping a copy."""
    operations = importlib.import_module("chatserver.stats.operations")
    triage_safety = importlib.import_module("chatserver.stats.triage_safety")
    assert operations.LEVELS is LEVELS
    assert triage_safety.LEVEL_RANK is LEVEL_RANK
