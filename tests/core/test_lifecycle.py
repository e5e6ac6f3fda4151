"""The contact life cycle state machine, exhaustively."""

from __future__ import annotations

import pytest

from chatserver.core.lifecycle import (
    OUTCOMES,
    ContactStatus,
    InvalidTransition,
    Transition,
    allows,
    is_open,
    next_status,
)

S, T = ContactStatus, Transition

ALLOWED = {
    (S.EMERGENCY_ADVISED, T.ACKNOWLEDGE): S.QUEUED,
    (S.EMERGENCY_ADVISED, T.CLOSE): S.CLOSED,
    (S.QUEUED, T.PICK): S.ASSIGNED,
    (S.QUEUED, T.TRANSFER): S.QUEUED,
    (S.QUEUED, T.CLOSE): S.CLOSED,
    (S.ASSIGNED, T.TRANSFER): S.QUEUED,
    (S.ASSIGNED, T.REQUEUE): S.QUEUED,
    (S.ASSIGNED, T.CLOSE): S.CLOSED,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("transition", list(T))
def test_every_pair(status: ContactStatus, transition: Transition) -> None:
    """Each (status, transition) pair is either the documented move or refused."""
    expected = ALLOWED.get((status, transition))
    assert allows(status, transition) is (expected is not None)
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            next_status(status, transition)
        assert info.value.status is status
        assert info.value.transition is transition
    else:
        assert next_status(status, transition) is expected


def test_status_strings_accepted() -> None:
    """Storage hands statuses over as plain strings."""
    assert next_status("queued", T.PICK) is S.ASSIGNED


def test_closed_is_final() -> None:
    """Nothing leaves 'closed'."""
    for t in T:
        with pytest.raises(InvalidTransition):
            next_status(S.CLOSED, t)
    assert is_open("queued") is True
    assert is_open("closed") is False


def test_outcomes_are_the_contract_list() -> None:
    """The outcome set is exactly PROTOCOL.md's list."""
    assert sorted(OUTCOMES) == [
        "no_response",
        "patient_left",
        "phone_callback",
        "physical_visit_booked",
        "referred_emergency",
        "referred_other_unit",
        "resolved_in_chat",
        "video_visit_booked",
    ]
