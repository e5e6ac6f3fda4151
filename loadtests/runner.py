"""Run options and the target life cycle shared by every scenario."""

from __future__ import annotations

import contextlib
import tempfile
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from loadtests.baseline_target import BaselineTarget
from loadtests.results import TARGET_NAMES
from loadtests.servers import baseline
from loadtests.targets import Target

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "loadtests" / "results"


@dataclass(slots=True)
class Options:
    """``smoke`` shrinks every count and duration so a scenario runs in seconds."""

    smoke: bool = False
    targets: tuple[str, ...] = TARGET_NAMES
    out_dir: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loadtests-")))
    chatserver: str = str(ROOT / ".venv" / "bin" / "chatserver")

    def scale(self, full: float, smoke: float) -> float:
        return smoke if self.smoke else full

    def count(self, full: int, smoke: int) -> int:
        return smoke if self.smoke else full


@contextlib.asynccontextmanager
async def open_target(kind: str, opts: Options) -> AsyncIterator[Target]:
    """Start the server of ``kind`` pinned to the server CPU; stop it on exit."""
    log_dir = opts.work_dir / "logs"
    if kind == "service":
        from loadtests.service import NURSES, SMOKE_NURSES, ServiceTarget, start_service  # noqa: PLC0415  # noqa: PLC0415

        nurses = SMOKE_NURSES if opts.smoke else NURSES
        server, users = await start_service(opts.chatserver, opts.work_dir, log_dir, nurses)
        target: Target = ServiceTarget(server, users)
    else:
        server = baseline(kind, log_dir).start()
        target = BaselineTarget(server)
    try:
        yield target
    finally:
        with contextlib.suppress(Exception):
            await target.aclose()
        server.stop()


def failure_text(exc: BaseException) -> str:
    """A one-paragraph reason for a target that could not be measured."""
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:500]
