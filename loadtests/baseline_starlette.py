"""Baseline 2: a bare Starlette-on-uvicorn relay (uvloop), no storage.

Its uvicorn WebSocket implementation is the service's: ``CHATSERVER_WS_IMPLEMENTATION``
(default ``websockets-sansio``), so a run measures both with the same one.

Same frames as :mod:`loadtests.baseline_ws`, plus ``POST /api/contacts`` that
parses the intake JSON and answers 201 without triage or storage (the intake
baseline). Run: ``python -m loadtests.baseline_starlette [--port 0]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import socket

import orjson
import uvicorn
import uvloop
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from loadtests.baseline_hub import RelayHub
from loadtests.system import raise_nofile


def create_app() -> Starlette:
    hub: RelayHub[WebSocket] = RelayHub()

    async def send(ws: WebSocket, text: str) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await ws.send_text(text)

    async def relay(ws: WebSocket) -> None:
        await ws.accept()
        try:
            first = orjson.loads(await ws.receive_text())
            for target, text in hub.hello(ws, first):
                await send(target, text)
            while True:
                frame = orjson.loads(await ws.receive_text())
                for target, text in hub.frame(ws, frame):
                    await send(target, text)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.gone(ws)

    async def intake(request: Request) -> Response:
        body = orjson.loads(await request.body())
        reply = {
            "contact_id": secrets.token_hex(8),
            "status": "queued",
            "patient_token": secrets.token_urlsafe(24),
            "triage": {"level": "standard", "tags": [], "reasons": []},
            "queue": {"position": hub.waiting + 1, "estimated_wait_s": None},
            "echo_len": len(body.get("text", "")),
        }
        hub.waiting += 1
        return Response(orjson.dumps(reply), 201, media_type="application/json")

    async def livez(request: Request) -> Response:
        return Response(b"ok")

    return Starlette(
        routes=[
            Route("/livez", livez),
            Route("/api/contacts", intake, methods=["POST"]),
            WebSocketRoute("/ws/patient", relay),
            WebSocketRoute("/ws/staff", relay),
            WebSocketRoute("/ws", relay),
        ]
    )


async def run(host: str, port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    config = uvicorn.Config(
        create_app(),
        ws=os.environ.get("CHATSERVER_WS_IMPLEMENTATION", "websockets-sansio"),
        loop="uvloop",
        http="httptools",
        lifespan="off",
        log_level="warning",
        access_log=False,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,  # as `chatserver serve`
        backlog=4096,
    )
    server = uvicorn.Server(config)
    print(f"Listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])


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
