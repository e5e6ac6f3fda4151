"""Which push endpoints the service will POST to: the SSRF guard (pure).

A browser hands the service a ``PushSubscription`` whose ``endpoint`` is a URL
of its push service. The service later POSTs to it from inside the health
centre's network, so an endpoint is a request the patient makes the server
send: only the browsers' push services are allowed
(``CHATSERVER_PUSH_ALLOWED_HOSTS``, docs/security.md "Push endpoints").

An entry of the allowlist is one of

* ``host`` — exactly that host name, over ``https`` on the default port;
* ``*.domain`` — any host name ending in ``.domain`` (at least one more label;
  ``domain`` itself is not matched), over ``https`` on the default port;
* ``scheme://host:port`` — exactly that origin (a relay inside the network, or a
  test's fake push service on loopback); nothing else opens plain ``http``, an
  IP address or another port.

An endpoint is refused unless it is an absolute ``https`` URL (or matches an
origin entry) whose host is a plain lower-case DNS name (letters, digits,
``-`` and ``.``; no IP literal, no percent-escapes, no trailing dot), without
user information, with no port other than 443, and matching an entry.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

__all__ = ["DEFAULT_PUSH_HOSTS", "MAX_ENDPOINT_CHARS", "PushAllowlist", "endpoint_allowed"]

# The push services of the major browsers: Chrome, Edge's Chromium and Opera
# (FCM; android.googleapis.com is its older name), Firefox (Mozilla autopush),
# Edge on Windows (WNS), Safari (Apple). Kept to their documented hosts.
DEFAULT_PUSH_HOSTS: tuple[str, ...] = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.notify.windows.com",
    "web.push.apple.com",
)

# Real endpoints are 150-500 characters (an FCM token is ~160); 2,048 is the
# common URL ceiling and keeps a stored row small.
MAX_ENDPOINT_CHARS = 2048

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# At least two labels, the last one not all digits (``1.2.3`` is an address to
# inet_aton, not a name).
_DNS_NAME = re.compile(rf"^(?:{_LABEL}\.)+(?![0-9]+$){_LABEL}$")


@dataclass(frozen=True, slots=True)
class PushAllowlist:
    """The parsed ``CHATSERVER_PUSH_ALLOWED_HOSTS``."""

    hosts: frozenset[str]
    suffixes: tuple[str, ...]  # ".notify.windows.com" for "*.notify.windows.com"
    origins: frozenset[str]  # "http://127.0.0.1:8123"

    @classmethod
    def parse(cls, entries: Iterable[str]) -> PushAllowlist:
        hosts: set[str] = set()
        suffixes: list[str] = []
        origins: set[str] = set()
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            if "://" in entry:
                origin = _origin(urlsplit(entry))
                if origin is None:
                    raise ValueError(f"push allowlist entry {raw!r} is not scheme://host[:port]")
                origins.add(origin)
            elif entry.startswith("*."):
                if not _DNS_NAME.match(entry[2:]):
                    raise ValueError(f"push allowlist entry {raw!r} is not *.domain")
                suffixes.append(entry[1:])
            else:
                if not _DNS_NAME.match(entry):
                    raise ValueError(f"push allowlist entry {raw!r} is not a host name")
                hosts.add(entry)
        return cls(frozenset(hosts), tuple(suffixes), frozenset(origins))


def _origin(parts: SplitResult) -> str | None:
    """``scheme://host:port`` of an URL (default ports written out), or None when
    the URL has user information, no host or a bad port."""
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def endpoint_allowed(endpoint: str, allow: PushAllowlist) -> bool:
    """True when the service may POST to ``endpoint`` (see the module docstring)."""
    if len(endpoint) > MAX_ENDPOINT_CHARS or not endpoint.isascii() or not endpoint.isprintable():
        return False
    if any(c in endpoint for c in "\\ \t"):
        return False
    parts = urlsplit(endpoint)
    origin = _origin(parts)
    if origin is None or parts.fragment:
        return False
    if origin in allow.origins:
        return True
    host = parts.netloc.rsplit(":", 1)[0] if parts.port is not None else parts.netloc
    if (
        parts.scheme != "https"
        or parts.port not in (None, 443)
        or host != parts.hostname  # upper case, an escape, brackets: not as written in the list
        or _is_ip(host)
        or not _DNS_NAME.match(host)
    ):
        return False
    return host in allow.hosts or any(host.endswith(s) for s in allow.suffixes)
