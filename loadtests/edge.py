"""The service reached through its proxy: :class:`EdgeTarget` drives the same
protocol as :class:`~loadtests.service.ServiceTarget`, over TLS to nginx.

Every connection comes from its own loopback address (all of 127.0.0.0/8
reaches the local host), as patients and staff come from their own networks:
nginx counts its connection and request limits per client address (100
connections, 5 WebSocket upgrades/s per address: deploy/nginx) and the
instances count theirs on the address nginx forwards. One generator address
would run into limits meant for one person, not into the service's capacity.
"""

from __future__ import annotations

import itertools
import ssl
from pathlib import Path

from websockets.asyncio.client import ClientConnection

from loadtests.clients import ws_connect
from loadtests.http_client import HttpConnection
from loadtests.servers import ServerProcess
from loadtests.service import Account, ServiceTarget

__all__ = ["EdgeTarget", "source_address", "tls_context"]

_sources = itertools.count()
_OCTET = 254  # .1 to .254: no network or broadcast-looking addresses


def source_address() -> str:
    """A new loopback address, 127.2.0.1 and up (127.0.0.1 is the proxy's own)."""
    n = next(_sources)
    high, low = divmod(n, _OCTET)
    return f"127.{2 + high // _OCTET}.{high % _OCTET + 1}.{low + 1}"


def tls_context(certificate: Path) -> ssl.SSLContext:
    """Trust exactly the proxy's self-signed certificate (verified, with its IP name)."""
    return ssl.create_default_context(cafile=str(certificate))


class EdgeTarget(ServiceTarget):
    """``server`` is one instance behind the proxy (the Target protocol's
    process); every request and WebSocket goes to the proxy on ``port``."""

    def __init__(
        self,
        server: ServerProcess,
        accounts: list[Account],
        port: int,
        tls: ssl.SSLContext,
    ) -> None:
        super().__init__(server, accounts)
        self.port = port
        self.tls = tls
        self.origin = f"https://127.0.0.1:{port}"

    def http(self) -> HttpConnection:
        return HttpConnection(
            "127.0.0.1", self.port, self.origin, tls=self.tls, source=source_address()
        )

    async def connect(self, path: str, cookie: str | None = None) -> ClientConnection:
        return await ws_connect(
            f"wss://127.0.0.1:{self.port}{path}",
            self.origin,
            cookie,
            tls=self.tls,
            source=source_address(),
        )
