"""Server stacks behind nginx for the cross-instance scenario.

* :func:`cluster_stack`: PostgreSQL + Redis + two ``chatserver serve``
  instances (the scale-out topology of deploy/);
* :func:`single_stack`: one instance on SQLite, the same nginx in front
  (separates what the proxy and TLS cost from what scale-out costs).

nginx serves deploy/nginx/chatserver.conf.template unchanged (TLS, per-address
limits). Start-up reuses the test helpers (``tests/pg.py``,
``tests/scaleout/cluster.py``); every server process is pinned to the server
CPU, as in the other scenarios. PostgreSQL runs durable (fsync and synchronous
commit on, unlike the test server) so it is compared with SQLite at
``synchronous=FULL`` on equal terms.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from chatserver.access.passwords import hash_password
from chatserver.access.sessions import new_totp_secret
from chatserver.app import open_storage
from chatserver.cli.common import add_unit
from chatserver.settings import Settings
from loadtests.runner import Options
from loadtests.servers import ServerProcess
from loadtests.service import BENCH_ENV, PASSWORD, UNIT, Account
from loadtests.system import server_affinity
from tests.pg import PgServer, find_bin, migrated_template
from tests.scaleout.cluster import Nginx, RedisServer

__all__ = ["Stack", "cluster_stack", "missing_tools", "single_stack"]

# tests/pg.py switches durability off for speed; a benchmark of the write path
# must not (a later -c wins over the test defaults).
DURABLE_PG = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
SBIN_PATH = "/usr/sbin:/usr/bin"  # nginx lives in /usr/sbin, often not on PATH


@dataclass(slots=True)
class Stack:
    """A running stack: clients go to ``nginx``; ``roots`` name the pids whose
    process trees make up the server side (for CPU accounting)."""

    label: str
    instances: list[ServerProcess]
    nginx: Nginx
    accounts: list[Account]
    roots: dict[str, int]


def missing_tools(postgres: bool) -> list[str]:
    """System programs a stack needs that are not installed."""
    needed = ["nginx", "openssl"] + (["redis-server"] if postgres else [])
    missing = [b for b in needed if not (shutil.which(b) or shutil.which(b, path=SBIN_PATH))]
    if postgres and find_bin() is None:
        missing.append("postgresql")
    return missing


async def seed_bench(settings: Settings, nurses: int) -> list[Account]:
    """Unit ``bench`` (always open) and ``nurses`` nurse accounts, written
    through the storage API (one password hash for all: seeding is set-up)."""
    storage = open_storage(settings)
    await storage.open()
    try:
        await add_unit(storage, UNIT, "Bench", always_open=True)
        digest = await asyncio.to_thread(hash_password, PASSWORD)
        accounts = []
        for i in range(1, nurses + 1):
            secret = new_totp_secret() if settings.require_otp else None
            await storage.add_user(
                username=f"nurse{i}",
                display_name=f"Nurse {i}",
                role="nurse",
                password_hash=digest,
                totp_secret=secret,
                unit_ids=[UNIT],
                created_at=time.time(),
            )
            accounts.append(Account(f"nurse{i}", secret))
    finally:
        await storage.close()
    return accounts


def _instance(opts: Options, name: str, data_dir: Path, env: dict[str, str]) -> ServerProcess:
    argv = [opts.chatserver, "--data-dir", str(data_dir), "serve"]
    return ServerProcess(
        name,
        [*argv, "--host", "127.0.0.1", "--port", "0"],
        opts.work_dir / "logs",
        env={**BENCH_ENV, **env},
    )


@contextlib.asynccontextmanager
async def cluster_stack(opts: Options, nurses: int, label: str) -> AsyncIterator[Stack]:
    """PostgreSQL + Redis + instances a and b behind nginx."""
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="cluster-", dir=opts.work_dir))
    bindir = find_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed")
    with contextlib.ExitStack() as cleanup:
        with server_affinity():
            pg = PgServer(bindir, DURABLE_PG)
            cleanup.callback(pg.stop)
            pg.start()
            redis = RedisServer(root / "redis")
            cleanup.callback(redis.stop)
            redis.start()
        # migrated_template runs its own event loop: give it a thread.
        template = await asyncio.to_thread(migrated_template, pg)
        url = pg.url(pg.create_database(template=template))
        accounts = await seed_bench(Settings(data_dir=root / "seed", database_url=url), nurses)
        env = {
            "CHATSERVER_DATABASE_URL": url,
            "CHATSERVER_REDIS_URL": redis.url,
            # Instances sharing a database share the key of its TOTP secrets.
            "CHATSERVER_TOTP_KEY": Fernet.generate_key().decode(),
        }
        instances = []
        for name in ("a", "b"):  # one after the other: the first seals the TOTP secrets
            server = _instance(opts, f"instance-{name}", root / name / "data", env)
            cleanup.callback(server.stop)
            await asyncio.to_thread(server.start)
            instances.append(server)
        with server_affinity():
            nginx = Nginx(root / "nginx", [s.port for s in instances])
            cleanup.callback(nginx.stop)
            nginx.start()
        roots = {s.name: s.pid for s in instances}
        others = {"postgresql": pg.proc, "redis": redis.proc, "nginx": nginx.proc}
        roots |= {name: proc.pid for name, proc in others.items() if proc is not None}
        yield Stack(label, instances, nginx, accounts, roots)


@contextlib.asynccontextmanager
async def single_stack(opts: Options, nurses: int, label: str) -> AsyncIterator[Stack]:
    """One instance on SQLite (``synchronous=FULL``, the default) behind nginx."""
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="single-", dir=opts.work_dir))
    data_dir = root / "data"
    accounts = await seed_bench(Settings(data_dir=data_dir), nurses)
    with contextlib.ExitStack() as cleanup:
        server = _instance(opts, "instance-sqlite", data_dir, {})
        cleanup.callback(server.stop)
        await asyncio.to_thread(server.start)
        with server_affinity():
            nginx = Nginx(root / "nginx", [server.port])
            cleanup.callback(nginx.stop)
            nginx.start()
        assert nginx.proc is not None
        roots = {server.name: server.pid, "nginx": nginx.proc.pid}
        yield Stack(label, [server], nginx, accounts, roots)
