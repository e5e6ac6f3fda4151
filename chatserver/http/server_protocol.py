"""uvicorn's httptools HTTP protocol with the request limits uvicorn lacks.

uvicorn (0.55) has no timeout for receiving a request: ``timeout_keep_alive``
only runs between requests and every byte received cancels it, and a new
connection has no timer at all, so a client that connects and sends nothing,
or trickles its headers one byte at a time, holds a connection for as long as
it likes (slowloris). The httptools parser also takes request headers of any
size (10 MB were answered 200). This subclass adds, per request:

- the request head (request line and headers) must be complete within
  ``head_timeout_s`` of the connection's start or of the request's first byte;
- the body must be complete within ``body_timeout_s`` of the end of the head;
- a head over ``MAX_HEAD_BYTES`` is answered 431 and the connection closed.

On a deadline the connection is closed without an answer (the client sent no
complete request to answer). A WebSocket upgrade disarms the deadline: the
socket's own limits (``hello`` deadline, heartbeat) take over.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 30.0
# Browsers send 1-4 KiB of headers; nginx's default buffers take at most 32 KiB.
MAX_HEAD_BYTES = 64 * 1024

_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 24\r\nconnection: close\r\n\r\n"
    b"request head is too big\n"
)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with request head and body deadlines and a head size cap."""

    head_timeout_s: float = HEAD_TIMEOUT_S
    body_timeout_s: float = BODY_TIMEOUT_S
    max_head_bytes: int = MAX_HEAD_BYTES

    _deadline: asyncio.TimerHandle | None = None
    _in_head: bool = True
    _head_bytes: int = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.max_head_bytes:
            self._disarm()
            if not self.transport.is_closing():
                self.transport.write(_HEAD_TOO_LARGE)
                self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # the next request on a kept-alive connection
            self._start_head()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self.body_timeout_s)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        self._in_head = False
        super().handle_websocket_upgrade()

    # -- the deadline ------------------------------------------------------------------

    def _start_head(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        self._arm(self.head_timeout_s)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(head_timeout_s: float, body_timeout_s: float) -> type[HttpToolsProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with these deadlines."""

    class Configured(GuardedHttpToolsProtocol):
        pass

    Configured.head_timeout_s = head_timeout_s
    Configured.body_timeout_s = body_timeout_s
    return Configured
