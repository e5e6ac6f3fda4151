"""Baseline 1: a bare ``websockets`` relay server (no framework, no storage).

Run: ``python -m loadtests.baseline_ws [--port 0]``; prints
``Listening on http://127.0.0.1:PORT`` once ready, like ``chatserver serve``.

With ``--store service|minimal --db PATH`` it is the relay *floor*: every
message is stored durably (:mod:`loadtests.baseline_store`) before its ack and
its relay, one message at a time per connection, like the service.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import orjson
import uvloop
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from loadtests.baseline_hub import RelayHub
from loadtests.baseline_store import STORES, Store, make_store
from loadtests.system import raise_nofile


async def _send(conn: ServerConnection, text: str) -> None:
    with contextlib.suppress(ConnectionClosed):
        await conn.send(text)


def make_handler(hub: RelayHub[ServerConnection], store: Store | None = None):  # type: ignore[no-untyped-def]
    async def handler(conn: ServerConnection) -> None:
        try:
            first = orjson.loads(await conn.recv())
            token, side = str(first.get("token", "")), first.get("side", "patient")
            if store is not None and side in ("patient", "staff"):
                await store.ensure_pair(token)
            for target, text in hub.hello(conn, first):
                await _send(target, text)
            async for raw in conn:
                frame = orjson.loads(raw)
                if store is not None and frame.get("type") == "message":
                    body, client_id = str(frame.get("body", "")), str(frame.get("client_id", ""))
                    await store.append(token, side, client_id, body)
                for target, text in hub.frame(conn, frame):
                    await _send(target, text)
        except ConnectionClosed:
            pass
        finally:
            hub.gone(conn)

    return handler


async def run(host: str, port: int, store: Store | None = None) -> None:
    hub: RelayHub[ServerConnection] = RelayHub()
    if store is not None:
        await store.open()
    handler = make_handler(hub, store)
    try:
        # compression=None: `chatserver serve` turns permessage-deflate off too.
        async with serve(handler, host, port, max_size=64 * 1024, compression=None) as server:
            bound = next(iter(server.sockets)).getsockname()[1]
            print(f"Listening on http://{host}:{bound}", flush=True)
            await server.serve_forever()
    finally:
        if store is not None:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--store", choices=STORES, help="store each message durably first")
    parser.add_argument("--db", type=Path, help="the SQLite file of --store")
    args = parser.parse_args()
    if args.store and not args.db:
        parser.error("--store needs --db")
    raise_nofile()
    store = make_store(args.store, args.db) if args.store else None
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(run(args.host, args.port, store))


if __name__ == "__main__":
    main()
