"""An outage logs its first error in full, then one count per interval."""

from __future__ import annotations

from typing import Any

from chatserver.logs import RepeatedErrors


class FakeLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def error(self, event: str, **fields: Any) -> None:
        self.lines.append(("error", event, fields))

    def warning(self, event: str, **fields: Any) -> None:
        self.lines.append(("warning", event, fields))


def test_one_traceback_then_counts_per_interval() -> None:
    now = [0.0]
    log = FakeLog()
    errors = RepeatedErrors(log, interval_s=10.0, clock=lambda: now[0])
    exc = OSError("disk full")
    for _ in range(3190):  # the fault run's 30 s of failing writes
        errors.error("storage_unavailable", exc)
        now[0] += 30 / 3190
    now[0] += 10  # the last interval ends with no error to trigger its line
    errors.flush()
    full = [f for level, e, f in log.lines if e == "storage_unavailable"]
    counts = [f["count"] for level, e, f in log.lines if e == "storage_unavailable_repeated"]
    assert len(full) == 1
    assert full[0]["exc_info"] is exc
    assert 1 + sum(counts) == 3190
    assert len(counts) == 3  # one line per 10 s
    # After a quiet interval the next error is logged in full again.
    now[0] += 11
    errors.error("storage_unavailable", exc)
    assert log.lines[-1][1] == "storage_unavailable"
    assert "exc_info" in log.lines[-1][2]
