"""The service's error hierarchy: one exception per documented error code.

::

    ChatError                      (code, HTTP status; WebSocket: an `error` frame)
     ├── InvalidInput        422   invalid_json, invalid_message, unknown_type, invalid_field
     │    ├── TooLarge       413   body_too_large, too_large
     │    └── UnsupportedType 415  unsupported_type
     ├── Unauthenticated     401   not_authenticated, invalid_credentials, otp_required,
     │                             invalid_state, invalid_id_token, invalid_personnummer,
     │                             sign_in_failed, identification_required
     ├── Forbidden           403   forbidden, csrf_failed, origin_refused, unknown_account
     ├── NotFoundError       404   unknown_unit, unknown_contact, unknown_queue, not_found
     ├── StateConflict       409   unit_closed, queue_full, queue_empty, contact_closed,
     │                             not_assigned, not_waiting, duplicate_hello, already_exists,
     │                             unseen_messages
     ├── RateLimited         429   rate_limited
     └── ServiceUnavailable  503   identity_unavailable

HTTP answers ``{"error": {"code", "message", "fields"?}}`` with the status;
WebSocket answers ``{"type": "error", "code", "message", ...}`` (built by
:class:`chatserver.ws.wire.ErrorFrame`) and keeps the connection open. Close
codes are separate (:data:`CLOSE_CODES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ChatError(Exception):
    status: int = 400
    default_code: str = "bad_request"

    def __init__(
        self,
        code: str | None = None,
        message: str = "",
        *,
        fields: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.code.replace("_", " ")
        self.fields = dict(fields) if fields else None
        self.extra = dict(extra) if extra else {}
        super().__init__(f"{self.code}: {self.message}")

    def http_body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            err["fields"] = self.fields
        err.update(self.extra)
        return {"error": err}


class InvalidInput(ChatError):
    status = 422
    default_code = "invalid_field"


class TooLarge(InvalidInput):
    status = 413
    default_code = "body_too_large"


class UnsupportedType(InvalidInput):
    """An upload whose content is not of an accepted type (photos: chatserver/attachments)."""

    status = 415
    default_code = "unsupported_type"


class Unauthenticated(ChatError):
    status = 401
    default_code = "not_authenticated"


class Forbidden(ChatError):
    status = 403
    default_code = "forbidden"


class NotFoundError(ChatError):
    status = 404
    default_code = "not_found"


class StateConflict(ChatError):
    status = 409
    default_code = "conflict"


class RateLimited(ChatError):
    status = 429
    default_code = "rate_limited"


class ServiceUnavailable(ChatError):
    status = 503
    default_code = "unavailable"


# WebSocket close codes (PROTOCOL.md "WebSocket").
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # origin refused, session ended
CLOSE_TOO_BIG = 1009  # frame over 64 KiB
CLOSE_TRY_AGAIN = 1013  # the staff welcome cannot be audited now
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_HELLO_TIMEOUT = 4408
CLOSE_CODES: Mapping[int, str] = {
    CLOSE_NORMAL: "normal closure",
    CLOSE_POLICY: "origin refused or session ended",
    CLOSE_TOO_BIG: "frame over 64 KiB",
    CLOSE_TRY_AGAIN: "try again later",
    CLOSE_NOT_AUTHENTICATED: "not authenticated",
    CLOSE_NOT_ALLOWED: "not allowed",
    CLOSE_HELLO_TIMEOUT: "no hello in time",
}
