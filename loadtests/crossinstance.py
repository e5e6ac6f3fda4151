"""Cross-instance delivery latency: ``python -m loadtests.crossinstance``.

Two ``chatserver serve`` instances on one PostgreSQL database with Redis
fan-out (the deploy/ topology without nginx, which adds the same constant to
both cases). Patients send paced messages; one nurse socket that has picked
every contact measures the time from a patient's send to the nurse's
``message`` frame (HDR histogram, microseconds):

* ``same instance``  — patients and nurse on instance A (local delivery, the
  envelope is still published to Redis for other instances);
* ``cross instance`` — patients on A, nurse on B (through Redis pub/sub);
* ``sqlite, single`` — one instance on SQLite, no Redis, for reference.

Each send→frame time includes the durable write (COMMIT) on the sender's
instance. PostgreSQL runs with the test server's settings (fsync off) —
it measures the delivery path, not the disk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop
from cryptography.fernet import Fernet
from websockets.asyncio.client import ClientConnection, connect

from chatserver.settings import Settings
from loadtests.hdr import LatencyRecorder, LatencySummary
from tests.helpers import PASSWORD, Account, intake_body, seed_directory
from tests.live import LiveServer
from tests.pg import PgServer, migrated_template, require_bin
from tests.scaleout.cluster import RedisServer

LIMITS = {
    "CHATSERVER_INTAKE_RATE_LIMIT": "1000000/minute",
    "CHATSERVER_FRAME_RATE_LIMIT": "1000000/second",
    # Many sockets from 127.0.0.1 and messages as fast as acks come (issue 20 limits).
    "CHATSERVER_MAX_SOCKETS_PER_ADDRESS": "0",
    "CHATSERVER_CONTACT_MESSAGE_RATE_LIMIT": "1000000/second",
    "CHATSERVER_MAX_MESSAGES_PER_CONTACT": "0",
}


async def _ws(srv: LiveServer, path: str, cookie: str | None = None) -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else None
    return await connect(
        f"{srv.ws_url}{path}",
        origin=srv.origin,  # type: ignore[arg-type]
        additional_headers=headers,
        compression=None,
        max_queue=None,
    )


async def _recv(ws: ClientConnection, type_: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = orjson.loads(await ws.recv())
        if frame["type"] == type_:
            return frame


# The time step each account last signed in with: a code signs in once, on any
# instance (docs/security.md), so a second sign-in waits for the next step.
_LAST_STEP: dict[str, int] = {}
TOTP_STEP_S = 30


def _fresh_otp(account: Account) -> str | None:
    step = int(time.time() // TOTP_STEP_S)
    if _LAST_STEP.get(account.username, -1) >= step:
        step = _LAST_STEP[account.username] + 1
        time.sleep(max(0.0, step * TOTP_STEP_S - time.time()) + 0.05)
    _LAST_STEP[account.username] = step
    return account.otp()


def _login(srv: LiveServer, account: Account) -> str:
    r = httpx.post(
        f"{srv.url}/api/staff/login",
        json={"username": account.username, "password": PASSWORD, "otp": _fresh_otp(account)},
        headers={"origin": srv.origin},
        timeout=10,
    )
    r.raise_for_status()
    return "; ".join(f"{k}={v}" for k, v in r.cookies.items())


async def measure(
    patient_srv: LiveServer,
    nurse_srv: LiveServer,
    nurse: Account,
    *,
    patients: int,
    messages: int,
    pace_s: float,
) -> LatencySummary:
    """``patients`` conversations with one nurse; latency of every patient message."""
    async with httpx.AsyncClient(timeout=10) as http:
        contacts = [
            (await http.post(f"{patient_srv.url}/api/contacts", json=intake_body())).json()
            for _ in range(patients)
        ]
    staff = await _ws(nurse_srv, "/ws/staff", _login(nurse_srv, nurse))
    await _recv(staff, "welcome")
    for _ in contacts:
        await staff.send(orjson.dumps({"type": "pick"}).decode())
        await _recv(staff, "assigned")
    socks = []
    for c in contacts:
        ws = await _ws(patient_srv, "/ws/patient")
        await ws.send(
            orjson.dumps({"type": "hello", "token": c["patient_token"], "last_seq": 0}).decode()
        )
        await _recv(ws, "welcome")
        socks.append(ws)

    sent: dict[tuple[str, str], float] = {}
    recorder = LatencyRecorder()
    expected = patients * messages

    async def receive() -> None:
        while recorder.count < expected:
            frame = orjson.loads(await staff.recv())
            if frame["type"] == "message" and frame["sender"] == "patient":
                at = sent.pop((frame["contact_id"], frame["client_id"]))
                recorder.record(time.perf_counter() - at)

    async def talk(i: int, ws: ClientConnection) -> None:
        contact_id = contacts[i]["contact_id"]
        await asyncio.sleep(pace_s * i / patients)  # spread the patients over a period
        for n in range(messages):
            client_id = f"m{n}"
            sent[(contact_id, client_id)] = time.perf_counter()
            await ws.send(
                orjson.dumps(
                    {"type": "message", "client_id": client_id, "body": f"fråga {n}"}
                ).decode()
            )
            await asyncio.sleep(pace_s)

    async def drain(ws: ClientConnection) -> None:
        async for _ in ws:  # acks; closed at the end
            pass

    drains = [asyncio.create_task(drain(ws)) for ws in socks]
    receiver = asyncio.create_task(receive())
    await asyncio.gather(*(talk(i, ws) for i, ws in enumerate(socks)))
    await asyncio.wait_for(receiver, timeout=60)
    for ws in [*socks, staff]:
        await ws.close()
    for d in drains:
        d.cancel()
    return recorder.summary()


@contextmanager
def postgres_cluster(root: Path) -> Iterator[tuple[LiveServer, LiveServer, dict[str, Account]]]:
    pg = PgServer(require_bin()).start()
    redis = RedisServer(root / "redis").start()
    servers: list[LiveServer] = []
    try:
        db = pg.create_database(template=migrated_template(pg))
        url = pg.url(db)
        seed = asyncio.run(seed_directory(Settings(data_dir=root / "seed", database_url=url)))
        env = {
            **LIMITS,
            "CHATSERVER_DATABASE_URL": url,
            "CHATSERVER_REDIS_URL": redis.url,
            # Instances sharing a database share the key of its TOTP secrets.
            "CHATSERVER_TOTP_KEY": Fernet.generate_key().decode(),
        }
        for name in ("a", "b"):
            (root / name).mkdir()
            servers.append(LiveServer(root / name / "data", env=env).start())
        yield servers[0], servers[1], seed.accounts
    finally:
        for s in servers:
            s.stop()
        redis.stop()
        pg.stop()


@contextmanager
def sqlite_single(root: Path) -> Iterator[tuple[LiveServer, dict[str, Account]]]:
    data = root / "sqlite" / "data"
    seed = asyncio.run(seed_directory(Settings(data_dir=data)))
    srv = LiveServer(data, env=LIMITS).start()
    try:
        yield srv, seed.accounts
    finally:
        srv.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.crossinstance", description=__doc__)
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument(
        "--pace-ms", type=float, default=100.0, help="pause between a patient's messages"
    )
    parser.add_argument("--json", type=Path, help="also write the summaries here")
    args = parser.parse_args(argv)
    kw = {"patients": args.patients, "messages": args.messages, "pace_s": args.pace_ms / 1000}
    results: dict[str, LatencySummary] = {}
    with tempfile.TemporaryDirectory(prefix="crossinstance-") as tmp:
        root = Path(tmp)
        # Each setup first gets a short unmeasured round: connection pools,
        # caches and a fresh database's first queries would land in its tail.
        with sqlite_single(root) as (srv, accounts):
            uvloop.run(measure(srv, srv, accounts["doctor1"], patients=5, messages=5, pace_s=0.02))
            results["sqlite, single instance"] = uvloop.run(
                measure(srv, srv, accounts["nurse1"], **kw)
            )
        with postgres_cluster(root) as (a, b, accounts):
            uvloop.run(measure(a, b, accounts["doctor1"], patients=5, messages=5, pace_s=0.02))
            uvloop.run(measure(b, a, accounts["doctor1"], patients=5, messages=5, pace_s=0.02))
            results["postgresql + redis, same instance"] = uvloop.run(
                measure(a, a, accounts["nurse1"], **kw)
            )
            results["postgresql + redis, cross instance"] = uvloop.run(
                measure(a, b, accounts["nurse2"], **kw)
            )
    print(f"{args.patients} patients x {args.messages} messages, {args.pace_ms:g} ms apart")
    print("| setup | messages | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s in results.items():
        cells = " | ".join(f"{v:.2f}" for v in (s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms))
        print(f"| {name} | {s.count} | {cells} |")
    if args.json:
        args.json.write_text(json.dumps({k: v.as_dict() for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
