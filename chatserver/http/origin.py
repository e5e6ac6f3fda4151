"""Origin allowlist (cross-site WebSocket hijacking and CSRF defence).

Allowed: the service's own origin (scheme + Host header of the request) and
``CHATSERVER_ALLOWED_ORIGINS``. A missing Origin or ``null`` is refused on the
WebSockets: every browser sends one, so its absence is not a browser we serve.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def own_origins(headers: Mapping[str, str], tls: bool) -> set[str]:
    host = headers.get("host", "")
    if not host:
        return set()
    schemes = ("https",) if tls else ("http", "https")
    return {f"{s}://{host}".lower() for s in schemes}


def origin_allowed(
    origin: str | None, headers: Mapping[str, str], allowed: Iterable[str], tls: bool
) -> bool:
    if not origin or origin == "null":
        return False
    o = origin.strip().rstrip("/").lower()
    if o in own_origins(headers, tls):
        return True
    return o in {a.lower().rstrip("/") for a in allowed}
