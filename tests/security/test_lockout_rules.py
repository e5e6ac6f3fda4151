"""The pure sign-in rules: lockout counting and back-off, name keys, TOTP steps."""

from __future__ import annotations

import pyotp

from chatserver.security.lockout import LockoutPolicy, after_failure, locked_for, name_key
from chatserver.security.totp import current_step, matching_step
from chatserver.storage.base import LockoutRecord

T0 = 1_700_000_000.0
POLICY = LockoutPolicy()
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def fail(record: LockoutRecord, times: list[float]) -> tuple[LockoutRecord, list[float]]:
    """Apply failures at ``times``; returns the record and the lock each one started."""
    locks = []
    for t in times:
        record, lock = after_failure(record, t, POLICY)
        locks.append(lock)
    return record, locks


def test_fifth_failure_in_window_locks_for_15_minutes() -> None:
    """Four failures do not lock; the fifth within 15 min locks for 900 s."""
    record, locks = fail(LockoutRecord(), [T0 + i * 60 for i in range(5)])
    assert locks == [0.0, 0.0, 0.0, 0.0, 900.0]
    assert record == LockoutRecord(
        failures=(),
        lockouts=1,
        locked_until=T0 + 240 + 900,
        last_failure=T0 + 240,
        expires_at=T0 + 240 + 24 * 3600,
    )
    assert locked_for(record, T0 + 240) == 900.0
    assert locked_for(record, T0 + 240 + 900) == 0.0


def test_failures_outside_the_window_drop_out() -> None:
    """Failures 15 minutes old no longer count: five 5 minutes apart do not lock."""
    times = [T0, T0 + 300, T0 + 600, T0 + 900, T0 + 1200]
    record, locks = fail(LockoutRecord(), times)
    assert locks == [0.0] * 5
    assert record.failures == (T0 + 600, T0 + 900, T0 + 1200)
    assert record.expires_at == T0 + 1200 + 900


def test_back_off_doubles_up_to_a_day() -> None:
    """Lockouts in a row last 15 min, 30 min, 1 h, ... and at most 24 h."""
    record = LockoutRecord()
    now = T0
    locks = []
    for _ in range(8):
        record, batch = fail(record, [now + i for i in range(5)])
        locks.append(batch[-1])
        now = record.locked_until + 1
    assert locks == [900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 57600.0, 86400.0]


def test_a_day_without_failures_forgets_lockouts() -> None:
    """After more than 24 h without a failure the next lockout is 15 min again."""
    record, _ = fail(LockoutRecord(), [T0 + i for i in range(5)])
    later = T0 + 4 + 24 * 3600 + 1
    record, locks = fail(record, [later + i for i in range(5)])
    assert locks == [0.0, 0.0, 0.0, 0.0, 900.0]
    assert record.lockouts == 1


def test_no_record_is_not_locked() -> None:
    """A name without a record may try."""
    assert locked_for(None, T0) == 0.0


def test_name_key_is_case_insensitive_and_hashed() -> None:
    """Names differing in case share a key; the key is a 64-hex digest, not the name."""
    assert name_key("Nurse1") == name_key("nurse1")
    assert name_key("nurse1") != name_key("nurse2")
    assert len(name_key("nurse1")) == 64
    assert "nurse1" not in name_key("nurse1")


def test_matching_step_within_drift() -> None:
    """The codes of the current step and one either side match their step; others do not."""
    totp = pyotp.TOTP(SECRET)
    now = T0 + 10
    step = current_step(SECRET, now)
    assert step == int(now // 30)
    for delta in (-1, 0, 1):
        assert matching_step(SECRET, totp.at((step + delta) * 30), now) == step + delta
    assert matching_step(SECRET, totp.at((step + 2) * 30), now) is None
    assert matching_step(SECRET, totp.at((step - 2) * 30), now) is None
    spaced = totp.at(step * 30)
    assert matching_step(SECRET, f" {spaced[:3]} {spaced[3:]} ", now) == step
    assert matching_step(SECRET, "abcdef", now) is None
    assert matching_step(SECRET, "12345\u00e9", now) is None
