"""A throw-away PostgreSQL server for tests (Debian's ``postgresql`` package).

:class:`PgServer` runs ``initdb`` and ``postgres`` from
``/usr/lib/postgresql/*/bin`` on a unix socket in a temporary directory, with
durability switched off (tests need speed, not crash safety of the test
database). PostgreSQL refuses to run as root, so as root it runs as the
system user ``chattest`` (created with ``useradd`` when missing).

Each test gets a fresh database copied from a migrated template
(``CREATE DATABASE ... TEMPLATE``), which takes milliseconds. Under
``CI=true`` a missing PostgreSQL fails the test instead of skipping it.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.poll import wait_until

TEST_USER = "chattest"
START_TIMEOUT_S = 30.0
_names = itertools.count(1)


def find_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> int:
    return int(Path(path).parent.parent.name.split(".")[0])


def require_bin() -> Path:
    """The bin directory; skips the test without PostgreSQL (fails under CI)."""
    found = find_bin()
    if found is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _run_as() -> list[str]:
    """Command prefix that drops root to the test user (nothing when not root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
            check=True,
        )
    return ["runuser", "-u", TEST_USER, "--"]


class PgServer:
    """One ``postgres`` process; ``url(db)`` addresses a database on it."""

    def __init__(self, bindir: Path, settings: dict[str, str] | None = None) -> None:
        """``settings``: extra ``-c`` options after the test defaults (a later
        ``-c`` wins), e.g. durability back on for a benchmark."""
        self.bindir = bindir
        self.settings = dict(settings or {})
        self.prefix = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="chatpg-"))
        self.datadir = self.root / "data"
        self.user = TEST_USER if self.prefix else pwd.getpwuid(os.geteuid()).pw_name
        self.proc: subprocess.Popen[bytes] | None = None
        if self.prefix:
            shutil.chown(self.root, TEST_USER)
            self.root.chmod(0o755)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{database}?host={self.root}"

    def start(self) -> PgServer:
        subprocess.run(
            [
                *self.prefix,
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                self.user,
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        log = (self.root / "postgres.log").open("wb")
        self.proc = subprocess.Popen(
            [
                *self.prefix,
                str(self.bindir / "postgres"),
                "-D",
                str(self.datadir),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
                *(arg for k, v in self.settings.items() for arg in ("-c", f"{k}={v}")),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        socket = self.root / ".s.PGSQL.5432"
        proc = self.proc

        def accepting() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {proc.returncode}")
            return socket.exists() and self.psql("SELECT 1", check=False).returncode == 0

        try:
            wait_until(accepting, timeout=START_TIMEOUT_S, interval=0.05)
        except (AssertionError, RuntimeError) as exc:
            self.stop()
            raise RuntimeError(f"postgres did not start: {self.log_tail()}") from exc
        return self

    def log_tail(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def psql(
        self, sql: str, database: str = "postgres", *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                str(self.root),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-qAtc",
                sql,
            ],
            check=check,
            capture_output=True,
            text=True,
        )

    def create_database(self, template: str | None = None) -> str:
        """A new empty (or template-copied) database; returns its name."""
        name = f"t{os.getpid()}_{next(_names)}"
        suffix = f" TEMPLATE {template}" if template else ""
        self.psql(f"CREATE DATABASE {name}{suffix}")
        return name

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # "fast" shutdown: disconnect clients instead of waiting for them.
            subprocess.run(
                [
                    *self.prefix,
                    str(self.bindir / "pg_ctl"),
                    "stop",
                    "-m",
                    "fast",
                    "-D",
                    str(self.datadir),
                ],
                check=False,
                capture_output=True,
            )
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


TEMPLATE = "chat_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server per test process (xdist worker), with a migrated template."""
    server = PgServer(require_bin()).start()
    try:
        migrated_template(server)
        yield server
    finally:
        server.stop()


def migrated_template(server: PgServer) -> str:
    """Create (once per server) a database with every migration applied; its name."""
    if server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE}'").stdout.strip():
        return TEMPLATE
    import asyncio  # noqa: PLC0415 - only needed once per server

    from chatserver.storage.postgres import PostgresStorage  # noqa: PLC0415

    server.psql(f"CREATE DATABASE {TEMPLATE}")

    async def migrate() -> None:
        store = PostgresStorage(server.url(TEMPLATE), min_size=1, max_size=1)
        await store.open()
        await store.close()

    asyncio.run(migrate())
    return TEMPLATE
