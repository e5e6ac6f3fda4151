"""Smoke runs of the load-test scenarios: each checks that a scenario works end to
end against real servers on port 0, never how fast (no timing assertions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.runner import Options
from loadtests.system import raise_nofile

ROOT = Path(__file__).resolve().parents[2]
CHATSERVER = ROOT / ".venv" / "bin" / "chatserver"


@pytest.fixture
def smoke_opts(tmp_path: Path) -> Options:
    raise_nofile()
    return Options(
        smoke=True,
        targets=("websockets", "starlette"),
        out_dir=tmp_path / "results",
        work_dir=tmp_path / "work",
    )


def service_available() -> bool:
    """True once the chatserver console script is installed."""
    return CHATSERVER.exists()
