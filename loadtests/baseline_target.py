"""The two baselines as :class:`~loadtests.targets.Target`: same frames, no auth, no storage."""

from __future__ import annotations

import asyncio
import itertools

from websockets.asyncio.client import ClientConnection

from loadtests.clients import expect, send_json, ws_connect
from loadtests.http_client import HttpConnection
from loadtests.servers import ServerProcess
from loadtests.targets import Endpoint, Ticket, intake_body

SETUP_CONCURRENCY = 100  # handshakes in flight while setting up


class BaselineTarget:
    def __init__(self, server: ServerProcess) -> None:
        self.name = server.name
        self.server = server
        self._ws_url = server.url.replace("http://", "ws://")
        self._feeder: ClientConnection | None = None
        self._ids = itertools.count()

    async def _hello(self, token: str, side: str) -> ClientConnection:
        ws = await ws_connect(f"{self._ws_url}/ws/patient", self.server.origin)
        await send_json(ws, {"type": "hello", "token": token, "last_seq": 0, "side": side})
        await expect(ws, "welcome")
        return ws

    async def tickets(self, n: int) -> list[Ticket]:
        return [Ticket(f"tok-{i}", f"pair-{next(self._ids)}") for i in range(n)]

    async def connect_patient(self, ticket: Ticket) -> ClientConnection:
        return await self._hello(ticket.contact_id, "patient")

    async def pairs(self, n: int) -> list[tuple[Endpoint, Endpoint]]:
        sem = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def one(ticket: Ticket) -> tuple[Endpoint, Endpoint]:
            async with sem:
                patient = await self._hello(ticket.contact_id, "patient")
                staff = await self._hello(ticket.contact_id, "staff")
            return (
                Endpoint(patient, ticket.contact_id, "patient"),
                Endpoint(staff, ticket.contact_id, "staff"),
            )

        return list(await asyncio.gather(*(one(t) for t in await self.tickets(n))))

    async def watchers(self, n: int) -> list[ClientConnection]:
        return list(await asyncio.gather(*(self._hello("-", "watcher") for _ in range(n))))

    async def _feed(self, kind: str) -> None:
        if self._feeder is None:
            self._feeder = await self._hello("feeder", "feeder")
        await send_json(self._feeder, {"type": kind})

    async def arrive(self, n: int) -> None:
        await self._feed("arrive")

    async def leave(self, n: int) -> None:
        await self._feed("leave")

    def http(self) -> HttpConnection:
        return HttpConnection("127.0.0.1", self.server.port, self.server.origin)

    async def intake(self, http: HttpConnection, n: int) -> int:
        response = await http.request("POST", "/api/contacts", intake_body("bench", n))
        return response.status

    async def aclose(self) -> None:
        if self._feeder is not None:
            await self._feeder.close()
