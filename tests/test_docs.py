"""Docs stay honest: every frame type, error code, setting and metric that the
code has is documented (after datasette's tests/test_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatserver.metrics import Metrics
from chatserver.settings import Settings
from chatserver.ws.wire import PATIENT_TYPES, STAFF_TYPES

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
ERROR_CLASSES = (
    "ChatError|InvalidInput|TooLarge|UnsupportedType|Unauthenticated|Forbidden|NotFoundError|StateConflict"
    "|RateLimited|ServiceUnavailable"
)
_RAISED = re.compile(rf"\b(?:{ERROR_CLASSES})\(\s*\"([a-z_]+)\"")


def _codes_in_code() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "chatserver").rglob("*.py"):
        codes.update(_RAISED.findall(path.read_text(encoding="utf-8")))
    return codes


@pytest.mark.parametrize("frame_type", sorted(set(PATIENT_TYPES) | set(STAFF_TYPES)))
def test_client_frame_types_documented(frame_type: str) -> None:
    """Every client frame type appears in docs/protocol.md."""
    assert f"`{frame_type}`" in PROTOCOL


@pytest.mark.parametrize("code", sorted(_codes_in_code()))
def test_error_codes_documented(code: str) -> None:
    """Every error code the service can answer appears in docs/protocol.md."""
    assert f"`{code}`" in PROTOCOL


def test_error_code_scan_finds_the_core_codes() -> None:
    """The scan itself works (a guard against a regex that matches nothing)."""
    assert {"queue_empty", "invalid_json", "unknown_unit", "rate_limited"} <= _codes_in_code()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_settings_documented(name: str) -> None:
    """Every CHATSERVER_* setting appears in docs/operations.md."""
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert f"CHATSERVER_{name.upper()}" in operations


@pytest.mark.parametrize(
    "metric",
    sorted(
        {m.name for m in Metrics().registry.collect()}  # counters report without _total
    ),
)
def test_metrics_documented(metric: str) -> None:
    """Every Prometheus metric appears in docs/operations.md (monitoring)."""
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert metric in operations
