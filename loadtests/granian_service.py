"""The service under Granian instead of uvicorn, for the server comparison of
issue 19 ("uvicorn's websockets-sansio and Granian, side by side in one run").

Granian's embedded server runs the same ASGI app in this process's event loop
(uvloop, as ``chatserver serve``), its Rust I/O on one runtime thread, so the
server CPU pin holds the whole of it and the CPU figures compare. What uvicorn
gets from ``chatserver serve`` and Granian has no equivalent for: the guarded
HTTP protocol (request head and body deadlines), ``ws_max_size`` (the frame
limit at the protocol level; the app still refuses oversized frames), the
20 s pings. Forwarded headers come from uvicorn's ASGI middleware, so the load
generator's per-client addresses count as they do under uvicorn.

Used by the loadtests when ``LOADTESTS_SERVER=granian`` (loadtests/service.py);
run by hand: ``python -m loadtests.granian_service --data-dir D --port 0``.
Prints the same ready line as ``chatserver serve`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
from pathlib import Path

import uvloop
from granian.constants import Interfaces
from granian.server.embed import Server
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from chatserver import logs
from chatserver.app import create_app
from chatserver.settings import Settings
from loadtests.system import raise_nofile


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


async def _accepting(host: str, port: int, task: asyncio.Task[None]) -> bool:
    while not task.done():
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            return True
        await asyncio.sleep(0.02)
    return False


async def serve(data_dir: Path, host: str, port: int) -> None:
    settings = Settings(data_dir=data_dir)
    logs.configure(settings.log_level)
    app = ProxyHeadersMiddleware(
        create_app(settings),  # type: ignore[arg-type]  # Starlette's loose ASGI types
        trusted_hosts=list(settings.forwarded_allow_ips) or "127.0.0.1",
    )
    port = port or _free_port(host)
    server = Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        websockets=True,
        backlog=4096,
        log_enabled=False,
    )
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    if await _accepting(host, port, task):
        print(f"Listening on http://{host}:{port}", flush=True)
    await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    raise_nofile()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(args.data_dir, args.host, args.port))


if __name__ == "__main__":
    main()
