"""``chatserver serve``: uvicorn with the `websockets` implementation."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys

import uvicorn

from chatserver import logs
from chatserver.settings import Settings
from chatserver.wire import MAX_FRAME_BYTES

DEMO_UNIT = "demo"
DEMO_USERS = (
    ("sjukskoterska", "nurse", "Anna Sjuksköterska"),
    ("lakare", "doctor", "Bertil Läkare"),
    ("chef", "manager", "Cecilia Chef"),
    ("admin", "admin", "Admin Administratör"),
)


async def seed_demo(settings: Settings, base_url: str) -> None:
    """A demo unit and one account per role; prints how to sign in."""
    import pyotp  # noqa: PLC0415

    from chatserver.app import open_storage  # noqa: PLC0415
    from chatserver.cli import add_unit, add_user  # noqa: PLC0415
    from chatserver.storage.base import Conflict  # noqa: PLC0415

    storage = open_storage(settings)
    await storage.open()
    lines = [f"Demo: patient chat {base_url}/  staff {base_url}/staff  manager {base_url}/manager"]
    try:
        with contextlib.suppress(Conflict):  # a second --demo start keeps the unit
            await add_unit(storage, DEMO_UNIT, "Hälsocentralen Demo", always_open=True)
        for username, role, display in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            try:
                _, uri = await add_user(
                    storage, settings, username, password, role, [DEMO_UNIT], display
                )
            except Conflict:
                lines.append(f"  {username}: exists already (password printed at first start)")
                continue
            code = ""
            if uri:
                secret = pyotp.parse_uri(uri).secret
                code = f"  totp secret {secret} (code now: {pyotp.TOTP(secret).now()})"
            lines.append(f"  {role:8} user {username}  password {password}{code}")
    finally:
        await storage.close()
    print("\n".join(lines), flush=True)


def serve(settings: Settings, *, demo: bool = False) -> int:
    logs.configure(settings.log_level)
    from chatserver.app import create_app  # noqa: PLC0415

    if demo:
        asyncio.run(seed_demo(settings, f"http://{settings.host}:{settings.port}"))
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws="websockets",
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,
        # 20 s pings, 20 s to answer: a vanished phone is noticed within ~40 s.
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        # uvicorn offers no "started" event to wait on, only the flag.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if server.started:
            for s in server.servers:
                for sock in s.sockets:
                    host, port = sock.getsockname()[:2]
                    print(f"Listening on http://{host}:{port}", flush=True)
                    break
                break
        await task

    if sys.platform != "win32":
        import uvloop  # noqa: PLC0415

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run())
    else:
        asyncio.run(run())
    return 0
