"""Smoke run of the cross-instance scenario: PostgreSQL, Redis, two instances and
nginx (deploy/'s site) start, and traffic through the proxy arrives complete."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from loadtests.runner import Options
from loadtests.scenarios import SCENARIOS
from loadtests.scenarios.crossinstance import CLUSTER, SINGLE
from loadtests.stacks import missing_tools
from tests.loadtests.conftest import CHATSERVER, service_available

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(not service_available(), reason="chatserver is not installed"),
]


@pytest.fixture
def tools() -> None:
    """Skip without PostgreSQL, Redis, nginx or openssl (fail under CI)."""
    missing = missing_tools(postgres=True)
    if missing:
        message = f"not installed: {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.usefixtures("tools")
async def test_crossinstance_relays_through_nginx(smoke_opts: Options) -> None:
    """Both stacks relay every message, closed loop and paced, through nginx."""
    opts = replace(smoke_opts, targets=("service",), chatserver=str(CHATSERVER))
    result = await SCENARIOS["crossinstance"].run(opts)
    assert list(result.details) == [CLUSTER, SINGLE]
    for detail in result.details.values():
        assert "error" not in detail, detail
        for phase in ("ceiling", "low", "half"):
            assert detail[f"{phase}.delivered"] > 0
            assert detail[f"{phase}.delivered"] == detail[f"{phase}.sent"]
            assert (detail[f"{phase}.lost"], detail[f"{phase}.errors"]) == (0, 0)
    sockets = result.details[CLUSTER]["connections"]
    assert sorted(sockets) == ["instance-a", "instance-b"]
    assert result.figures[0].values[CLUSTER] is not None
