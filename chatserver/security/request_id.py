"""Request ids for WebSocket frames and for the audit log.

HTTP requests get theirs from :class:`chatserver.http.request_log.RequestLog`
(bound in structlog's context vars and echoed in ``X-Request-ID``). A
WebSocket frame is a request of its own: :func:`set_request_id` starts a new
id for it, so an audit event and the log lines of the same frame share one id.
"""

from __future__ import annotations

import itertools
import secrets

import structlog

# Unique without a random draw per frame: this process's random prefix and a
# counter (a system call for 8 random bytes cost more than the rest of a relayed
# frame's bookkeeping). Ids only correlate log lines and audit events; they
# grant nothing, so they need not be unguessable.
_PREFIX = secrets.token_hex(6)
_serial = itertools.count(1)


def new_request_id() -> str:
    return f"{_PREFIX}-{next(_serial):x}"


def set_request_id() -> str:
    """Start a new request context (a WebSocket frame, a CLI command)."""
    rid = new_request_id()
    structlog.contextvars.bind_contextvars(request_id=rid)
    return rid


def current_request_id() -> str:
    """The id of the request being served, or a new one outside any request."""
    rid = structlog.contextvars.get_contextvars().get("request_id")
    return rid if isinstance(rid, str) and rid else set_request_id()
