"""Server subprocesses: start pinned to the server CPU, wait for the ready line, stop.

Every server in the benchmark (the two baselines and ``chatserver serve``) prints
``Listening on http://HOST:PORT`` on stdout when ready; stdout and stderr go to
files so a chatty server can never block on a full pipe.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from loadtests.system import pin_server, raise_nofile, rss_kib

READY = re.compile(r"Listening on (http://[\w.\-]+:(\d+))")
START_TIMEOUT_S = 30.0  # chatserver migrates its database before listening
STOP_TIMEOUT_S = 10.0  # graceful shutdown closes every WebSocket first


class ServerError(RuntimeError):
    """A server process did not start or died."""


class ServerProcess:
    """One server subprocess, used as a context manager."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        log_dir: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.log_dir = log_dir
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.port = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def origin(self) -> str:
        return self.url

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def start(self) -> ServerProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = self.log_dir / f"{self.name}.stdout"
        err = self.log_dir / f"{self.name}.stderr"
        with open(out, "wb") as fout, open(err, "wb") as ferr:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=fout,
                stderr=ferr,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                preexec_fn=_server_preexec,  # noqa: PLW1509 - the generator runs no threads yet
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            match = READY.search(out.read_text(errors="replace"))
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                return self
            if self.proc.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with {self.proc.returncode}: "
                    f"{err.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"{self.name} printed no ready line within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_S)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _server_preexec() -> None:
    pin_server()
    raise_nofile()


# The relay floors (loadtests/baseline_store.py): the websockets baseline that
# stores every message durably before acking it. Target name → store kind.
FLOOR_SERVICE = "websockets+service-store"
FLOOR_MINIMAL = "websockets+minimal-store"
FLOORS = {FLOOR_SERVICE: "service", FLOOR_MINIMAL: "minimal"}


def floor_db(work_dir: Path, kind: str) -> Path:
    """The SQLite file of the relay floor ``kind`` (a key of :data:`FLOORS`)."""
    return work_dir / f"{FLOORS[kind]}-floor.sqlite3"


def baseline(kind: str, log_dir: Path) -> ServerProcess:
    """``kind`` is ``websockets``, ``starlette`` or one of :data:`FLOORS`."""
    module = {"websockets": "loadtests.baseline_ws", "starlette": "loadtests.baseline_starlette"}
    argv = [sys.executable, "-m", "loadtests.baseline_ws" if kind in FLOORS else module[kind]]
    argv += ["--host", "127.0.0.1", "--port", "0"]
    if kind in FLOORS:
        db = floor_db(log_dir.parent, kind)
        for leftover in log_dir.parent.glob(f"{db.name}*"):  # a fresh file every run
            leftover.unlink()
        argv += ["--store", FLOORS[kind], "--db", str(db)]
    return ServerProcess(kind, argv, log_dir, cwd=Path(__file__).resolve().parent.parent)
