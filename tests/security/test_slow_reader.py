"""A staff socket that stops reading is cut off and forgotten, and nobody else waits for it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from chatserver.settings import Settings
from tests.helpers import Seed, intake_body
from tests.live import TIMEOUT_SCALE, LiveServer
from tests.poll import wait_until_async
from tests.realserver.client import login_cookie

INTAKES = 300
# A stalled peer is dropped by the outbox overflow (1008) or, at the latest, by the
# heartbeat (20 s ping interval + 20 s to answer).
DROP_WITHIN_S = 60.0 * TIMEOUT_SCALE
_STAFF_GAUGE = re.compile(r'chat_open_connections\{role="staff"\} (\S+)')


@pytest.fixture
def live(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    with LiveServer(
        settings.data_dir, env={"CHATSERVER_INTAKE_RATE_LIMIT": "100000/minute"}
    ) as srv:
        yield srv


async def _staff_sockets(h: httpx.AsyncClient, live: LiveServer) -> float:
    text = (await h.get(f"{live.url}/metrics")).text
    return float(_STAFF_GAUGE.findall(text)[0])


@pytest.mark.slow
async def test_slow_reader_is_dropped(live: LiveServer, seed: Seed) -> None:
    """While 300 intakes each push a queue update, a staff socket that reads nothing is
    dropped by the server, and a second staff socket receives every update."""
    slow = await connect(
        f"{live.ws_url}/ws/staff",
        origin=live.origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": login_cookie(live, seed["nurse1"])},
        max_queue=1,  # the client library stops reading the TCP socket at once
    )
    control = await connect(
        f"{live.ws_url}/ws/staff",
        origin=live.origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": login_cookie(live, seed["nurse2"])},
    )
    received = 0

    async def read_control() -> None:
        nonlocal received
        async for _ in control:
            received += 1

    reader = asyncio.create_task(read_control())
    try:
        async with httpx.AsyncClient(timeout=30) as h:
            assert await _staff_sockets(h, live) == 2.0
            for i in range(INTAKES):
                body = intake_body(text=f"Ont i halsen {i}")
                r = await h.post(f"{live.url}/api/contacts", json=body)
                assert r.status_code == 201

            async def slow_socket_dropped() -> bool:
                return await _staff_sockets(h, live) == 1.0

            await wait_until_async(slow_socket_dropped, timeout=DROP_WITHIN_S, interval=0.5)
        # The welcome plus one queue update per intake, none lost behind the slow reader.
        await wait_until_async(lambda: received >= INTAKES + 1, timeout=30 * TIMEOUT_SCALE)
    finally:
        reader.cancel()
        await control.close()
        await slow.close()
