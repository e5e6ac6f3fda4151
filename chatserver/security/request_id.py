"""Request ids for WebSocket frames and for the audit log.

HTTP requests get theirs from :class:`chatserver.http.request_log.RequestLog`
(bound in structlog's context vars and echoed in ``X-Request-ID``). A
WebSocket frame is a request of its own: :func:`set_request_id` starts a new
id for it, so an audit event and the log lines of the same frame share one id.
"""

from __future__ import annotations

import secrets

import structlog


def new_request_id() -> str:
    return secrets.token_hex(8)


def set_request_id() -> str:
    """Start a new request context (a WebSocket frame, a CLI command)."""
    rid = new_request_id()
    structlog.contextvars.bind_contextvars(request_id=rid)
    return rid


def current_request_id() -> str:
    """The id of the request being served, or a new one outside any request."""
    rid = structlog.contextvars.get_contextvars().get("request_id")
    return rid if isinstance(rid, str) and rid else set_request_id()
