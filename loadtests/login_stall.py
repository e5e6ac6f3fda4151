"""Does signing in stall the chat? A patient's ack p99 at rest and during failed sign-ins.

    python -m loadtests.login_stall [--messages 200] [--logins 20] [--on-loop]

One service (in this process, uvicorn on its own thread and event loop,
SQLite) and one chatting patient who sends ``--messages`` messages one after
the other, timing each ``ack``: first at rest, then while ``--logins`` clients
keep signing in with wrong passwords (each an argon2id verification, ~0.19 s
of CPU). Prints both p50/p99 and the ratio of the p99s. ``--on-loop`` runs the
verification on the event loop, as before the password pool
(chatserver/access/password_pool.py), for the comparison. Issue 21 asks for a
ratio within 3x; docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from websockets.asyncio.client import connect

from chatserver import logs
from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import intake_body, seed_directory


async def _on_loop(fn: Callable[..., Any], *args: object) -> Any:
    return fn(*args)  # the old behaviour: argon2 blocks the event loop


def _serve(settings: Settings, on_loop: bool) -> tuple[uvicorn.Server, threading.Thread, str]:
    app = create_app(settings)
    if on_loop:
        app.state.chat.sessions.passwords.run = _on_loop
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="login-stall-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"127.0.0.1:{port}"


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _chat(host: str, messages: int, during: asyncio.Event | None) -> list[float]:
    origin = f"http://{host}"
    async with httpx.AsyncClient(base_url=origin, timeout=30) as http:
        r = await http.post("/api/contacts", json=intake_body())
        token = r.json()["patient_token"]
    latencies: list[float] = []
    async with connect(f"ws://{host}/ws/patient", origin=origin) as ws:  # type: ignore[arg-type]
        await ws.send(orjson.dumps({"type": "hello", "token": token, "last_seq": 0}).decode())
        while orjson.loads(await ws.recv())["type"] != "welcome":
            pass
        if during is not None:
            await during.wait()
        for i in range(messages):
            frame = {"type": "message", "client_id": f"m{i}", "body": f"meddelande {i}"}
            t0 = time.perf_counter()
            await ws.send(orjson.dumps(frame).decode())
            while orjson.loads(await ws.recv())["type"] != "ack":
                pass
            latencies.append(time.perf_counter() - t0)
    return latencies


async def _fail_logins(host: str, started: asyncio.Event, stop: asyncio.Event, n: int) -> int:
    """``n`` clients signing in with wrong passwords until ``stop``; returns the count."""
    done = 0
    counter = iter(range(10**9))

    async def one(http: httpx.AsyncClient) -> None:
        nonlocal done
        while not stop.is_set():
            # A new name each time: the per-account lockout would answer at once.
            body = {"username": f"nobody-{next(counter)}", "password": "wrong-password"}
            started.set()
            r = await http.post("/api/staff/login", json=body)
            if r.status_code == 401:
                done += 1

    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(
        base_url=f"http://{host}", timeout=60, headers={"origin": f"http://{host}"}, limits=limits
    ) as http:
        await asyncio.gather(*(one(http) for _ in range(n)))
    return done


async def _run(host: str, messages: int, logins: int) -> dict[str, float]:
    rest = await _chat(host, messages, None)
    started, stop = asyncio.Event(), asyncio.Event()
    failing = asyncio.create_task(_fail_logins(host, started, stop, logins))
    await asyncio.sleep(0.3)  # the sign-ins are under way (the first hashes running)
    loaded = await _chat(host, messages, started)
    stop.set()
    done = await failing
    return {
        "rest_p50_ms": _p(rest, 0.50),
        "rest_p99_ms": _p(rest, 0.99),
        "load_p50_ms": _p(loaded, 0.50),
        "load_p99_ms": _p(loaded, 0.99),
        "load_max_ms": max(loaded) * 1000,
        "p99_ratio": _p(loaded, 0.99) / max(_p(rest, 0.99), 0.001),
        "failed_logins": float(done),
        "rest_mean_ms": statistics.fmean(rest) * 1000,
    }


def measure(messages: int, logins: int, *, on_loop: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="login-stall-") as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            intake_rate_limit="100000/minute",
            frame_rate_limit="100000/second",
            contact_message_rate_limit="100000/second",
            max_messages_per_contact=0,
            login_failure_rate_limit="100000/minute",
            allowed_origins=(),
        )
        asyncio.run(seed_directory(settings))
        server, thread, host = _serve(settings, on_loop)
        try:
            return asyncio.run(_run(host, messages, logins))
        finally:
            server.should_exit = True
            thread.join(timeout=15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--on-loop", action="store_true", help="argon2 on the event loop (before)")
    args = parser.parse_args(argv)
    logs.configure("warning")
    figures = measure(args.messages, args.logins, on_loop=args.on_loop)
    for name, value in figures.items():
        print(f"{name}: {value:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
