"""``chatserver serve``: uvicorn with its `websockets-sansio` WebSocket
implementation, or the deprecated `websockets` one (``CHATSERVER_WS_IMPLEMENTATION``;
uvicorn then prints its deprecation notice; the measurement and the switch:
docs/benchmarks.md "WebSocket implementation")."""

from __future__ import annotations

import asyncio
import secrets
import shlex
import sys
import time
from typing import Any

import uvicorn

from chatserver import logs
from chatserver.http.server_protocol import guarded_protocol
from chatserver.logs import get_logger
from chatserver.security.files import DataDirError, secure_data_dir
from chatserver.settings import Settings
from chatserver.storage.base import Storage
from chatserver.ws.wire import MAX_FRAME_BYTES

log = get_logger("chatserver.cli.serve")

DEMO_UNIT = "demo"
DEMO_USERS = (
    ("sjukskoterska", "nurse", "Anna Sjuksköterska"),
    ("lakare", "doctor", "Bertil Läkare"),
    ("chef", "manager", "Cecilia Chef"),
    ("admin", "admin", "Admin Administratör"),
)


async def seed_demo(settings: Settings) -> list[str]:
    """A demo unit and one account per role, and at the unit's creation its last
    90 days of statistics history; returns how to sign in (printed once the
    server listens, with the port it got)."""
    import pyotp  # noqa: PLC0415

    from chatserver.app import open_storage  # noqa: PLC0415
    from chatserver.cli.common import add_unit, add_user  # noqa: PLC0415
    from chatserver.storage import directory  # noqa: PLC0415
    from chatserver.storage.base import Conflict  # noqa: PLC0415

    storage = open_storage(settings)
    await storage.open()
    lines: list[str] = []
    existing: list[str] = []
    try:
        try:
            await add_unit(storage, DEMO_UNIT, "Hälsocentralen Demo", always_open=True)
            new_unit = True
        except Conflict:  # a second --demo start keeps the unit (and its history)
            new_unit = False
        staff: list[int] = []
        for username, role, display in DEMO_USERS:
            # Looked up first: a restart then costs no password check or hash.
            user = await storage.read(directory.get_user_by_username(username))
            password = secrets.token_urlsafe(9)
            try:
                if user is not None:
                    raise Conflict(username)
                user_id, uri = await add_user(
                    storage, settings, username, password, role, [DEMO_UNIT], display
                )
            except Conflict:
                existing.append(username)
                user_id = user.id if user is not None else 0
                lines.append(f"  {role:8} user {username}  exists already")
            else:
                code = ""
                if uri:
                    secret = pyotp.parse_uri(uri).secret
                    code = f"  totp secret {secret} (code now: {pyotp.TOTP(secret).now()})"
                lines.append(f"  {role:8} user {username}  password {password}{code}")
            if role in ("nurse", "doctor") and user_id:
                staff.append(user_id)
        if new_unit and staff:
            lines.append(await _seed_history(storage, staff))
    finally:
        await storage.close()
    if existing:
        lines.append(
            "  passwords are printed only at the first start; for a new one (and a new TOTP"
            " secret): chatserver --data-dir "
            f"{shlex.quote(str(settings.data_dir))} user reset-password USERNAME"
        )
    return lines


async def _seed_history(storage: Storage, staff: list[int]) -> str:
    """The demo unit's 90 days of history (contacts, satisfaction, visit counts)."""
    from chatserver.stats.demo_history import DAYS, history, write_history  # noqa: PLC0415

    began = time.perf_counter()
    count = await storage.write(write_history(history(DEMO_UNIT, staff, time.time())))
    took = time.perf_counter() - began
    return f"  statistics: {count} chats of the last {DAYS} days added ({took:.1f} s)"


def private_data_dir(settings: Settings) -> bool:
    """Make the data directory and what is in it private (0700/0600), warning for
    each change; False (after saying why on stderr) when that is impossible."""
    try:
        fixes = secure_data_dir(settings.data_dir)
    except DataDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    for fix in fixes:
        log.warning(
            "data_path_mode_fixed",
            path=str(fix.path),
            old_mode=f"{fix.old_mode:04o}",
            new_mode=f"{fix.new_mode:04o}",
        )
    return True


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's forwarded-header handling from ``CHATSERVER_FORWARDED_ALLOW_IPS``.

    Empty (the default): ``X-Forwarded-For``/``-Proto`` are ignored from everyone,
    so a client cannot pick the address the per-address limits count. uvicorn's
    own default (trust 127.0.0.1, or its ``FORWARDED_ALLOW_IPS`` variable) is never
    used: a local proxy must be named like any other.
    """
    if not settings.forwarded_allow_ips:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.forwarded_allow_ips)}


def serve(settings: Settings, *, demo: bool = False) -> int:
    logs.configure(settings.log_level)
    if not private_data_dir(settings):
        return 2
    from chatserver.app import create_app  # noqa: PLC0415

    accounts = asyncio.run(seed_demo(settings)) if demo else None
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws=settings.ws_implementation,
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,
        # 20 s pings, 20 s to answer: a vanished phone is noticed within ~40 s.
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        # httptools with request head/body deadlines and a head size cap.
        http=guarded_protocol(settings.http_header_timeout_s, settings.http_body_timeout_s),
        lifespan="on",
        log_config=None,
        access_log=False,
        **proxy_options(settings),
        # An idle keep-alive connection is closed after this long (uvicorn's own
        # timeout; slow request heads and bodies are the guarded protocol's).
        timeout_keep_alive=settings.http_keep_alive_s,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        # uvicorn offers no "started" event to wait on, only the flag.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if server.started:
            host, port = server.servers[0].sockets[0].getsockname()[:2]
            print(f"Listening on http://{host}:{port}", flush=True)
            if accounts is not None:
                base = f"http://{host}:{port}"
                links = f"patient chat {base}/  staff {base}/staff  manager {base}/manager"
                print("\n".join([f"Demo: {links}", *accounts]), flush=True)
        await task

    if sys.platform != "win32":
        import uvloop  # noqa: PLC0415

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run())
    else:
        asyncio.run(run())
    return 0
