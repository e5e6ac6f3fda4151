"""Baseline 1: a bare ``websockets`` relay server (no framework, no storage).

Run: ``python -m loadtests.baseline_ws [--port 0]``; prints
``Listening on http://127.0.0.1:PORT`` once ready, like ``chatserver serve``.
"""

from __future__ import annotations

import argparse
import contextlib

import orjson
import uvloop
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from loadtests.baseline_hub import RelayHub
from loadtests.system import raise_nofile


async def _send(conn: ServerConnection, text: str) -> None:
    with contextlib.suppress(ConnectionClosed):
        await conn.send(text)


def make_handler(hub: RelayHub[ServerConnection]):  # type: ignore[no-untyped-def]
    async def handler(conn: ServerConnection) -> None:
        try:
            first = orjson.loads(await conn.recv())
            for target, text in hub.hello(conn, first):
                await _send(target, text)
            async for raw in conn:
                for target, text in hub.frame(conn, orjson.loads(raw)):
                    await _send(target, text)
        except ConnectionClosed:
            pass
        finally:
            hub.gone(conn)

    return handler


async def run(host: str, port: int) -> None:
    hub: RelayHub[ServerConnection] = RelayHub()
    # compression=None: `chatserver serve` turns permessage-deflate off too.
    async with serve(make_handler(hub), host, port, max_size=64 * 1024, compression=None) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        print(f"Listening on http://{host}:{bound}", flush=True)
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    raise_nofile()
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(run(args.host, args.port))


if __name__ == "__main__":
    main()
