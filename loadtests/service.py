"""The service under test: seeding a data directory, starting ``chatserver serve``,
and :class:`ServiceTarget`, which drives PROTOCOL.md as patients and staff do.

Simulated clients send ``X-Forwarded-For`` with distinct addresses: the service
runs behind a TLS-terminating proxy in production (the server under test
trusts the header from 127.0.0.1: ``CHATSERVER_FORWARDED_ALLOW_IPS``), and its
per-address limits on intake (60/min) and login (10/min) are policy for real
people, not capacity. The per-connection frame limit (30 frames/s, a
human-speed policy) is lifted with ``CHATSERVER_FRAME_RATE_LIMIT`` so that
senders go as fast as acks allow.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyotp
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from loadtests.clients import FRAME_TIMEOUT_S, ProtocolError, expect, send_json, ws_connect
from loadtests.http_client import HttpConnection
from loadtests.servers import ServerError, ServerProcess
from loadtests.targets import Endpoint, Ticket, intake_body

UNIT = "bench"
NURSES = 120  # 100 relay pairs; fan-out uses 50 dashboards + 20 pickers
SMOKE_NURSES = 12  # smoke runs: 10 pairs, or 3 dashboards + 2 pickers
PASSWORD = "bench-password-4711-lång"
SEED_PARALLEL = 4  # `user add` processes at once (each hashes a password)
SETUP_CONCURRENCY = 50  # handshakes/intakes in flight while setting up
LOGIN_CONCURRENCY = 8  # argon2 verification makes logins CPU-heavy on the server
# Benchmarks measure capacity: the per-connection frame limit (30/s, policy for
# people) is lifted for the server under test, so senders need no pacing.
BENCH_ENV = {
    "CHATSERVER_LOG_LEVEL": "warning",
    "CHATSERVER_FRAME_RATE_LIMIT": "1000000/second",
    # Many sockets from 127.0.0.1 and messages as fast as acks come (issue 20 limits).
    "CHATSERVER_MAX_SOCKETS_PER_ADDRESS": "0",
    "CHATSERVER_CONTACT_MESSAGE_RATE_LIMIT": "1000000/second",
    "CHATSERVER_MAX_MESSAGES_PER_CONTACT": "0",
    # The generator stands in for the proxy: its X-Forwarded-For is believed.
    "CHATSERVER_FORWARDED_ALLOW_IPS": "127.0.0.1",
}
_addresses = itertools.count(1)


def client_address() -> str:
    """A distinct documentation-range-like address per simulated client."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    otp_secret: str | None

    def otp(self) -> str | None:
        return pyotp.TOTP(self.otp_secret).now() if self.otp_secret else None


def _seed_key(chatserver: str) -> str:
    """Seeds are reused while the schema (the migration files) is unchanged."""
    root = Path(chatserver).resolve().parent.parent.parent / "chatserver"
    digest = hashlib.sha256()
    for path in sorted(root.glob("storage/migrations/**/*.sql")):
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _all_cpus() -> None:
    """Seeding is set-up, not measurement: let it use both CPUs."""
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def _run(argv: list[str], stdin: str | None = None) -> str:
    done = subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=_all_cpus,
    )
    if done.returncode != 0:
        raise ServerError(f"{' '.join(argv[:4])}… failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def seed(chatserver: str, cache_root: Path, nurses: int = NURSES) -> tuple[Path, list[Account]]:
    """A data directory with unit ``bench`` (always open) and ``nurses`` nurse accounts."""
    final = cache_root / f"seed-{_seed_key(chatserver)}-{nurses}"
    if (final / "accounts.json").exists():
        data = json.loads((final / "accounts.json").read_text())
        return final / "data", [Account(**a) for a in data]
    cache_root.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed into place: parallel test workers never share a half seed.
    seed_dir = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_root))
    accounts_file = seed_dir / "accounts.json"
    data_dir = seed_dir / "data"
    data_dir.mkdir(parents=True)
    base = [chatserver, "--data-dir", str(data_dir)]
    _run([*base, "unit", "add", UNIT, "--name", "Bench", "--always-open"])

    def add(i: int) -> Account:
        name = f"nurse{i}"
        out = _run(
            [*base, "user", "add", name, "--role", "nurse", "--unit", UNIT, "--password-stdin"],
            stdin=PASSWORD + "\n",
        )
        uri = next((ln for ln in out.splitlines() if ln.startswith("otpauth://")), None)
        return Account(name, pyotp.parse_uri(uri).secret if uri else None)

    accounts = []
    for start in range(1, nurses + 1, SEED_PARALLEL):
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        with ThreadPoolExecutor(SEED_PARALLEL) as pool:
            accounts += list(pool.map(add, range(start, min(start + SEED_PARALLEL, nurses + 1))))
    accounts_file.write_text(json.dumps([dataclasses.asdict(a) for a in accounts]))
    try:
        seed_dir.rename(final)
    except OSError:  # another worker finished first: use its seed
        shutil.rmtree(seed_dir, ignore_errors=True)
    return final / "data", accounts


_runs = itertools.count()


SEED_CACHE = Path(tempfile.gettempdir()) / "loadtests-seeds"


def _serve_argv(chatserver: str, data_dir: Path) -> list[str]:
    """``chatserver serve`` (uvicorn), or with ``LOADTESTS_SERVER=granian`` the
    same app under Granian (:mod:`loadtests.granian_service`)."""
    if os.environ.get("LOADTESTS_SERVER", "uvicorn") == "granian":
        return [
            *(sys.executable, "-m", "loadtests.granian_service"),
            *("--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", "0"),
        ]
    return [chatserver, "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1", "--port", "0"]


async def start_service(
    chatserver: str, work_dir: Path, log_dir: Path, nurses: int = NURSES
) -> tuple[ServerProcess, list[Account]]:
    seed_data, accounts = await asyncio.to_thread(seed, chatserver, SEED_CACHE, nurses)
    data_dir = work_dir / f"service-{next(_runs)}"
    shutil.copytree(seed_data, data_dir)
    server = ServerProcess("service", _serve_argv(chatserver, data_dir), log_dir, env=BENCH_ENV)
    await asyncio.to_thread(server.start)
    return server, accounts


class _Picker:
    """A nurse connection that picks and closes. It reads all the time, as the
    staff client does: otherwise the ``queues`` pushes of the arrival phase
    pile up unread and the first departures wait for the generator to wade
    through them (which the fan-out figure then charged to the service)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.lock = asyncio.Lock()
        self._frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                # The server writes "type" first: skip pushes without parsing them.
                if isinstance(raw, str) and raw.startswith('{"type":"queues"'):
                    continue
                self._frames.put_nowait(orjson.loads(raw))

    async def expect(self, kind: str) -> dict[str, Any]:
        async with asyncio.timeout(FRAME_TIMEOUT_S):
            while True:
                frame = await self._frames.get()
                if frame.get("type") == kind:
                    return frame
                if frame.get("type") == "error":
                    raise ProtocolError(f"expected {kind}, got error {frame}")

    async def aclose(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


class ServiceTarget:
    frame_rate_limit: float | None = None

    def __init__(self, server: ServerProcess, accounts: list[Account]) -> None:
        self.name = "service"
        self.server = server
        self.accounts = accounts
        self._ws_url = server.url.replace("http://", "ws://")
        self._next_account = 0
        self._ids = itertools.count()
        self._http_pool: asyncio.Queue[HttpConnection] = asyncio.Queue()
        self._pickers: list[_Picker] = []
        self._open: list[ClientConnection] = []

    def http(self) -> HttpConnection:
        return HttpConnection("127.0.0.1", self.server.port, self.server.origin)

    # -- patients ---------------------------------------------------------------
    async def intake(self, http: HttpConnection, n: int) -> int:
        response = await http.request(
            "POST",
            "/api/contacts",
            intake_body(UNIT, n),
            headers={"X-Forwarded-For": client_address()},
        )
        return response.status

    async def _ticket(self, http: HttpConnection) -> Ticket:
        n = next(self._ids)
        response = await http.request(
            "POST",
            "/api/contacts",
            intake_body(UNIT, n),
            headers={"X-Forwarded-For": client_address()},
        )
        if response.status != 201:
            raise ServerError(f"intake answered {response.status}: {response.body[:300]!r}")
        body = response.json()
        return Ticket(body["patient_token"], body["contact_id"])

    async def _pooled_http(self) -> HttpConnection:
        return self._http_pool.get_nowait() if not self._http_pool.empty() else self.http()

    async def tickets(self, n: int) -> list[Ticket]:
        sem = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def one() -> Ticket:
            async with sem:
                http = await self._pooled_http()
                try:
                    return await self._ticket(http)
                finally:
                    self._http_pool.put_nowait(http)

        return list(await asyncio.gather(*(one() for _ in range(n))))

    async def connect(self, path: str, cookie: str | None = None) -> ClientConnection:
        """A WebSocket to ``path`` as a browser opens it (what a proxy front changes)."""
        return await ws_connect(f"{self._ws_url}{path}", self.server.origin, cookie)

    async def connect_patient(self, ticket: Ticket) -> ClientConnection:
        ws = await self.connect("/ws/patient")
        await send_json(ws, {"type": "hello", "token": ticket.token, "last_seq": 0})
        await expect(ws, "welcome")
        return ws

    # -- staff --------------------------------------------------------------------
    async def _login(self, account: Account) -> str:
        http = self.http()
        try:
            body: dict[str, object] = {"username": account.username, "password": PASSWORD}
            otp = account.otp()
            if otp:
                body["otp"] = otp
            response = await http.request(
                "POST",
                "/api/staff/login",
                body,
                headers={"X-Forwarded-For": client_address()},
            )
        finally:
            await http.close()
        if response.status != 200:
            raise ServerError(
                f"login {account.username}: {response.status} {response.body[:300]!r}"
            )
        return "; ".join(f"{k}={v}" for k, v in response.cookies().items())

    def _take_accounts(self, n: int) -> list[Account]:
        if self._next_account + n > len(self.accounts):
            raise ServerError(f"need {n} more nurse accounts than the seed has")
        taken = self.accounts[self._next_account : self._next_account + n]
        self._next_account += n
        return taken

    async def _staff(self, accounts: list[Account]) -> list[ClientConnection]:
        sem = asyncio.Semaphore(LOGIN_CONCURRENCY)

        async def one(account: Account) -> ClientConnection:
            async with sem:
                cookie = await self._login(account)
            ws = await self.connect("/ws/staff", cookie)
            await expect(ws, "welcome")
            self._open.append(ws)
            return ws

        return list(await asyncio.gather(*(one(a) for a in accounts)))

    async def pairs(self, n: int) -> list[tuple[Endpoint, Endpoint]]:
        tickets = await self.tickets(n)
        sem = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def patient(ticket: Ticket) -> ClientConnection:
            async with sem:
                return await self.connect_patient(ticket)

        patients = await asyncio.gather(*(patient(t) for t in tickets))
        by_contact = {t.contact_id: ws for t, ws in zip(tickets, patients, strict=True)}
        staff = await self._staff(self._take_accounts(n))
        out = []
        for ws in staff:  # one pick at a time: the queue hands out each contact once
            await send_json(ws, {"type": "pick"})
            assigned = await expect(ws, "assigned")
            contact_id = assigned["contact"]["contact_id"]
            out.append(
                (
                    Endpoint(by_contact[contact_id], contact_id, "patient"),
                    Endpoint(ws, contact_id, "staff"),
                )
            )
        return out

    async def watchers(self, n: int) -> list[ClientConnection]:
        return await self._staff(self._take_accounts(n))

    async def arrive(self, n: int) -> None:
        http = await self._pooled_http()
        try:
            await self._ticket(http)
        finally:
            self._http_pool.put_nowait(http)

    async def add_pickers(self, n: int) -> None:
        for ws in await self._staff(self._take_accounts(n)):
            self._pickers.append(_Picker(ws))

    async def leave(self, n: int) -> None:
        """A nurse picks the first waiting patient and closes the chat."""
        if not self._pickers:
            await self.add_pickers(1)
        picker = self._pickers[n % len(self._pickers)]
        async with picker.lock:
            await send_json(picker.ws, {"type": "pick"})
            contact_id = (await picker.expect("assigned"))["contact"]["contact_id"]
            await send_json(
                picker.ws,
                {"type": "close", "contact_id": contact_id, "outcome": "resolved_in_chat"},
            )
            await picker.expect("closed")

    async def aclose(self) -> None:
        await asyncio.gather(*(p.aclose() for p in self._pickers))
        await asyncio.gather(*(ws.close() for ws in self._open), return_exceptions=True)
        while not self._http_pool.empty():
            await self._http_pool.get_nowait().close()
