"""Who is told what and when (pure), and what the payload may hold."""

from __future__ import annotations

import orjson
import pytest

from chatserver.hooks import ContactNotice
from chatserver.notify.rules import Delivery, away, delivery_for, is_red_flag, payload


@pytest.mark.parametrize(
    ("notice", "expected"),
    [
        (ContactNotice("picked", "c1", "hc1"), Delivery("picked", "patient", sms=True)),
        (ContactNotice("message", "c1", "hc1"), Delivery("message", "patient")),
        (ContactNotice("closed", "c1", "hc1"), Delivery("closed", "patient", forget_after=True)),
        (ContactNotice("queued", "c1", "hc1", "emergency", True), Delivery("red_flag", "staff")),
        (ContactNotice("queued", "c1", "hc1", "urgent", False), Delivery("red_flag", "staff")),
        (ContactNotice("queued", "c1", "hc1", "standard", True), Delivery("red_flag", "staff")),
        (ContactNotice("queued", "c1", "hc1", "standard", False), None),
        (ContactNotice("queued", "c1", "hc1", "non_urgent", False), None),
    ],
)
def test_what_each_notice_sends(notice: ContactNotice, expected: Delivery | None) -> None:
    """Staff actions go to the patient; only red-flag arrivals go to staff."""
    assert delivery_for(notice) == expected


def test_red_flag_levels() -> None:
    """Emergency and urgent, or the red-flag mark, are red flags."""
    assert [is_red_flag(level, False) for level in ("emergency", "urgent", "standard")] == [
        True,
        True,
        False,
    ]
    assert is_red_flag("non_urgent", True) is True


def test_only_those_away_are_notified() -> None:
    """Recipients with an open socket anywhere get nothing."""
    assert away({"c2": False, "c1": False, "c3": True}) == ["c1", "c2"]
    assert away({"7": True}) == []


@pytest.mark.parametrize("kind", ["picked", "message", "closed"])
def test_patient_payload_is_only_what_and_where(kind: str) -> None:
    """The payload holds the event type and the chat's link, nothing else."""
    assert orjson.loads(payload(kind, "patient")) == {"type": kind, "url": "/"}  # type: ignore[arg-type]


def test_staff_payload_links_the_dashboard() -> None:
    """A red-flag arrival links the staff dashboard."""
    assert orjson.loads(payload("red_flag", "staff")) == {"type": "red_flag", "url": "/staff"}
