"""Docs stay honest: every setting is in docs/operations.md, every operations
route, frame and error code in docs/protocol.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import Route

from chatserver.admin import routes
from chatserver.audit.keys import AuditSettings
from chatserver.security.totp_key import TotpKeySettings
from chatserver.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
SETTINGS = sorted(
    {*Settings.model_fields, *AuditSettings.model_fields, *TotpKeySettings.model_fields}
)


@pytest.mark.parametrize("name", SETTINGS)
def test_every_setting_is_documented(name: str) -> None:
    """Each CHATSERVER_ variable has a row in docs/operations.md."""
    assert f"`CHATSERVER_{name.upper()}`" in (DOCS / "operations.md").read_text()


def test_every_operations_route_is_documented() -> None:
    """Each operations HTTP route appears in docs/protocol.md with its method."""
    protocol = (DOCS / "protocol.md").read_text()
    missing = []
    for route in routes():
        assert isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            path = re.sub(r":\w+}", "}", route.path)  # {id:int} is documented as {id}
            if f"`{method} {path}" not in protocol:
                missing.append(f"{method} {path}")
    assert missing == []


@pytest.mark.parametrize(
    "word",
    [
        "`banner`",
        "`escalation`",
        "`unit_closed`",
        "`queue_full`",
        "`unknown_user`",
        "`unknown_banner`",
        "`cannot_change_self`",
        "`already_exists`",
    ],
)
def test_frames_and_codes_are_documented(word: str) -> None:
    """Operations frames and error codes are in docs/protocol.md."""
    assert word in (DOCS / "protocol.md").read_text()
