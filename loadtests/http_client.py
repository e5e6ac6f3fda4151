"""A minimal HTTP/1.1 keep-alive client on asyncio streams.

The intake scenario must not be limited by the generator: a general-purpose
client (httpx) spends more CPU per request than the server under test, so the
hot path uses this one (fixed Content-Length JSON bodies, chunked replies handled).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Any

import orjson

READ_TIMEOUT_S = 30.0  # a request slower than this is a failure, not a latency


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        return orjson.loads(self.body)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def cookies(self) -> dict[str, str]:
        jar: dict[str, str] = {}
        for key, value in self.headers:
            if key == "set-cookie":
                pair = value.split(";", 1)[0]
                name, _, val = pair.partition("=")
                jar[name.strip()] = val.strip()
        return jar


class HttpConnection:
    """One keep-alive connection; reconnects when the server closed it.

    ``tls``: speak HTTPS; ``source``: the local address to connect from.
    """

    def __init__(
        self,
        host: str,
        port: int,
        origin: str,
        *,
        tls: ssl.SSLContext | None = None,
        source: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.origin = origin
        self.tls = tls
        self.source = source
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.host,
            self.port,
            ssl=self.tls,
            local_addr=(self.source, 0) if self.source is not None else None,
        )

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = self._reader = None

    async def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        body = b"" if json is None else orjson.dumps(json)
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Origin: {self.origin}",
            f"Content-Length: {len(body)}",
        ]
        if json is not None:
            lines.append("Content-Type: application/json")
        lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in range(2):
            if self._writer is None:
                await self._connect()
            assert self._writer is not None
            try:
                self._writer.write(payload)
                return await asyncio.wait_for(self._read_response(), READ_TIMEOUT_S)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    async def _read_response(self) -> HttpResponse:
        reader = self._reader
        assert reader is not None
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        response = HttpResponse(status)
        length = 0
        chunked = close = False
        while True:
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            key, _, value = line.decode("latin-1").partition(":")
            key, value = key.strip().lower(), value.strip()
            response.headers.append((key, value))
            if key == "content-length":
                length = int(value)
            elif key == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif key == "connection" and value.lower() == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            response.body = b"".join(parts)
        elif length:
            response.body = await reader.readexactly(length)
        if close:
            await self.close()
        return response
