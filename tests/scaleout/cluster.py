"""Real servers for the scale-out tests: Redis, nginx (with deploy/'s config)
and several ``chatserver serve`` instances on one PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import socket
import string
import subprocess
import time
from pathlib import Path

import pytest

from tests.live import START_TIMEOUT_S
from tests.poll import wait_until

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def require(binary: str, package: str) -> str:
    """Path of a system binary; skips without it (fails under CI)."""
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if found is None:
        message = f"{binary} is not installed (apt-get install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    def listening() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_until(
        listening, timeout=START_TIMEOUT_S, interval=0.05, message=f"{what} listens on {port}"
    )


class RedisServer:
    """``redis-server`` without persistence on a fixed port (restartable)."""

    def __init__(self, workdir: Path) -> None:
        self.binary = require("redis-server", "redis-server")
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, self.proc, "redis-server")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self, down_s: float = 0.0) -> None:
        self.stop()
        time.sleep(down_s)  # the outage itself: how long Redis stays away
        self.start()


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 (nginx terminates TLS in the test)."""
    openssl = require("openssl", "openssl")
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def render_site(
    upstream_ports: list[int],
    https_port: int,
    http_port: int,
    cert: Path,
    key: Path,
    metrics_allow: str = "",
) -> str:
    """deploy/nginx/chatserver.conf.template with the test's ports filled in
    (``metrics_allow``: the ``allow`` lines of /metrics; empty = nobody)."""
    template = string.Template((DEPLOY / "nginx" / "chatserver.conf.template").read_text())
    upstreams = " ".join(
        f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstream_ports
    )
    return template.safe_substitute(
        CHAT_SERVER_NAME="127.0.0.1",
        CHAT_HTTPS_LISTEN=f"127.0.0.1:{https_port}",
        CHAT_HTTP_LISTEN=f"127.0.0.1:{http_port}",
        CHAT_UPSTREAMS=upstreams,
        CHAT_TLS_CERT=str(cert),
        CHAT_TLS_KEY=str(key),
        CHAT_TLS_PORT_SUFFIX=f":{https_port}",
        CHAT_METRICS_ALLOW=metrics_allow,
    )


class Nginx:
    """Debian's nginx as a foreground subprocess (``-p prefix -c conf``, ``daemon off``)."""

    def __init__(self, workdir: Path, upstream_ports: list[int], metrics_allow: str = "") -> None:
        self.binary = require("nginx", "nginx")
        self.workdir = workdir
        self.upstream_ports = upstream_ports
        self.metrics_allow = metrics_allow
        self.port = free_port()
        self.http_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return self.url

    def start(self) -> Nginx:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for sub in ("logs", "tmp"):
            (self.workdir / sub).mkdir(exist_ok=True)
        cert, key = self_signed_cert(self.workdir)
        site = self.workdir / "chatserver.conf"
        site.write_text(
            render_site(
                self.upstream_ports, self.port, self.http_port, cert, key, self.metrics_allow
            )
        )
        tmp = self.workdir / "tmp"
        main = self.workdir / "nginx.conf"
        # The test's own main file: deploy/nginx/nginx.conf assumes /etc and
        # root; only the site (the part under test) comes from deploy/.
        main.write_text(
            "daemon off;\nworker_processes 1;\n"
            f"pid {self.workdir / 'nginx.pid'};\n"
            f"error_log {self.workdir / 'logs' / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"  client_body_temp_path {tmp}/body;\n  proxy_temp_path {tmp}/proxy;\n"
            f"  fastcgi_temp_path {tmp}/fastcgi;\n  uwsgi_temp_path {tmp}/uwsgi;\n"
            f"  scgi_temp_path {tmp}/scgi;\n"
            f"  include {site};\n"
            "}\n"
        )
        if os.geteuid() == 0:
            # As root nginx would switch its workers to "nobody", who cannot
            # read the key in this directory; keep the workers as root here.
            text = main.read_text().replace("daemon off;", "daemon off;\nuser root;")
            main.write_text(text)
        with (self.workdir / "logs" / "stderr.log").open("wb") as stderr:
            self.proc = subprocess.Popen(
                [self.binary, "-p", str(self.workdir), "-c", str(main)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        _wait_port(self.port, self.proc, "nginx")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
