"""The sign-in timing benchmark runs end to end (its figures are reported, not asserted)."""

from __future__ import annotations

from loadtests.login_timing import measure


def test_login_timing_measures_both_kinds() -> None:
    """Two rounds give a median for the unknown user and for the wrong password."""
    medians = measure(2)
    assert sorted(medians) == ["unknown user", "wrong password"]
    assert all(ms > 0 for ms in medians.values())
