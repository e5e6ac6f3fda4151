"""A real ``chatserver serve`` process on port 0, for tests that need real
sockets, real uvicorn and real crashes (SIGKILL)."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

# One constant scales every wait in the live tests (slow CI machines).
TIMEOUT_SCALE = float(os.environ.get("CHATSERVER_TEST_TIMEOUT_SCALE", "1"))
# Only a bound for "never started": a server measured by coverage (scripts/test.sh)
# starts about twice as slowly, several seconds on a busy 2-core machine.
START_TIMEOUT_S = 60.0 * TIMEOUT_SCALE

_LISTENING = re.compile(r"Listening on http://([\d.]+):(\d+)")


class LiveServer:
    """``with LiveServer(data_dir) as srv: srv.url`` — restartable, killable."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.stderr_path = data_dir.parent / f"server-{id(self)}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return self.url

    def start(self, port: int | None = None) -> LiveServer:
        """Start (again, on the same port after a kill, if ``port`` is given)."""
        cmd = [
            sys.executable,
            "-m",
            "chatserver",
            "--data-dir",
            str(self.data_dir),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port if port is not None else 0),
        ]
        stderr = self.stderr_path.open("a")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=self.env
        )
        stderr.close()
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                line = self.proc.stdout.readline()
                m = _LISTENING.search(line)
                if m:
                    self.port = int(m.group(2))
                    return self
                if not line and self.proc.poll() is not None:
                    break
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"server did not start: {self.stderr_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush — a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close_pipe()

    def _close_pipe(self) -> None:
        if self.proc and self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10 * TIMEOUT_SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close_pipe()

    def restart(self) -> None:
        """Start again on the same port (clients reconnect to the same URL)."""
        port = self.port
        self.stop()
        self.start(port)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
