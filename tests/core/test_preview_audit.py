"""The queue preview's audit throttle and the preview text (pure)."""

from __future__ import annotations

from chatserver.core.preview_audit import PREVIEW_AUDIT_EVERY_S, PreviewAuditThrottle
from chatserver.core.waiting_room import PREVIEW_CHARS, preview_of


def test_one_entry_per_staff_member_and_unit_per_minute() -> None:
    """The first snapshot writes at once; later ones within the minute are
    counted and the next entry stands for them."""
    throttle = PreviewAuditThrottle()
    assert throttle.due(1, "hc1", 0.0) == 1
    assert throttle.due(1, "hc1", 10.0) == 0
    assert throttle.due(1, "hc1", 59.9) == 0
    assert throttle.due(2, "hc1", 10.0) == 1  # another nurse: her own entry
    assert throttle.due(1, "hc2", 10.0) == 1  # another unit: its own entry
    assert throttle.due(1, "hc1", PREVIEW_AUDIT_EVERY_S) == 3
    assert throttle.due(1, "hc1", PREVIEW_AUDIT_EVERY_S + 1) == 0


def test_clock_going_back_and_a_failed_entry_write_again() -> None:
    throttle = PreviewAuditThrottle(every_s=30.0)
    assert throttle.due(1, "hc1", 100.0) == 1
    assert throttle.due(1, "hc1", 50.0) == 1  # the clock stepped back: no silence
    assert throttle.due(1, "hc1", 60.0) == 0
    throttle.retry(1, "hc1")
    assert throttle.due(1, "hc1", 61.0) == 1


def test_preview_is_one_line_cut_at_a_word() -> None:
    assert preview_of("  Ont i\n\nhalsen  ") == "Ont i halsen"
    text = "ord " * 40
    cut = preview_of(text)
    assert len(cut) <= PREVIEW_CHARS
    assert cut.endswith("ord…")
    assert preview_of("x" * 200) == "x" * (PREVIEW_CHARS - 1) + "…"
    assert preview_of("Hosta, feber, " + "a" * 100, limit=20) == "Hosta, feber…"
    assert preview_of("") == ""
    # A 4,000-character complaint: only its head is read, the cut is the same.
    long = "Ont i halsen och feber. " * 170
    assert preview_of(long) == preview_of(long[:300])
    assert preview_of(long).endswith("…")
    assert preview_of(" " * 300 + "Ont") == "Ont"
