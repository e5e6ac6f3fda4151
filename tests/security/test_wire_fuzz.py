"""Fuzzing the WebSocket frame parser: whatever arrives, only InvalidInput escapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatserver.errors import InvalidInput
from chatserver.ws import wire

EXAMPLES = 10_000
TYPES = sorted(set(wire.STAFF_TYPES) | set(wire.PATIENT_TYPES) | {"", "HELLO", "évil"})
FIELDS = (
    "type",
    "token",
    "last_seq",
    "client_id",
    "body",
    "contact_id",
    "after_seq",
    "queue",
    "outcome",
    "note",
    "level",
    "reason",
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# Objects that look like frames: a known type and plausible, often wrong, fields.
frame_like = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from(TYPES) | json_values,
    st.dictionaries(
        st.sampled_from(FIELDS), json_values | st.integers(-(2**70), 2**70), max_size=6
    ),
)
raw_frames = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    json_values.map(json.dumps),
    frame_like.map(json.dumps),
    frame_like.map(lambda v: json.dumps(v).encode()),
)


def _check(raw: str | bytes, staff: bool) -> None:
    types = wire.STAFF_TYPES if staff else wire.PATIENT_TYPES
    outcome: Any
    try:
        outcome = wire.parse(raw, types)
    except InvalidInput as exc:
        outcome = exc
    if isinstance(outcome, InvalidInput):
        assert outcome.code in {"invalid_json", "invalid_message", "unknown_type", "invalid_field"}
        assert outcome.status == 422
    else:
        assert type(outcome) in set(types.values())
    cid = wire.client_id_of(raw)
    assert cid is None or 1 <= len(cid) <= wire.MAX_CLIENT_ID_CHARS


# 10,000 examples allocate enough to run the garbage collector, which may then
# finalise a socket leaked by an earlier test of the same worker; that warning
# would be blamed on this pure-parsing test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_parse_raises_only_invalid_input() -> None:
    """Over 10,000 generated frames, parse() returns a frame model of the role or raises
    InvalidInput with a documented code; nothing else escapes."""
    count = 0

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(raw=raw_frames, staff=st.booleans())
    def run(raw: str | bytes, staff: bool) -> None:
        nonlocal count
        count += 1
        _check(raw, staff)

    run()
    print(f"wire.parse fuzz examples: {count}")
    assert count >= EXAMPLES
