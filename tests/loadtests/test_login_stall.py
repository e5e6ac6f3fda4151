"""The sign-in stall benchmark runs end to end (its ratio is reported, not asserted:
tests/security/test_login_offloop.py pins the structural property)."""

from __future__ import annotations

from loadtests.login_stall import measure


def test_login_stall_measures_rest_and_load() -> None:
    figures = measure(20, 4)
    assert figures["failed_logins"] > 0
    assert figures["rest_p99_ms"] > 0
    assert figures["load_p99_ms"] > 0
