"""The answer to a frame the database could not take (both sockets).

``{"type": "error", "code": "storage_unavailable", "message", "retryable":
true, "retry_after_s", "client_id"?, "contact_id"?}``: nothing was stored;
send the same frame again (a message with the same ``client_id``) after a
back-off. docs/protocol.md "Retrying after storage_unavailable".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatserver.storage_watch import RETRY_AFTER_S
from chatserver.ws import wire
from chatserver.ws.hub import Connection

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["storage_unavailable"]


def storage_unavailable(
    state: AppState,
    conn: Connection,
    exc: BaseException,
    client_id: str | None,
    contact_id: str | None,
) -> None:
    """Tell the sender its frame was not stored and may be retried; log it
    throttled. ``client_id`` is None when the frame's message was already
    acknowledged (a later step failed): nothing to resend then."""
    state.storage_watch.failed(exc, conn=conn.id)
    extra: dict[str, object] = {"retryable": True, "retry_after_s": RETRY_AFTER_S}
    if contact_id is not None:
        extra["contact_id"] = contact_id
    conn.send(
        wire.ErrorFrame(
            "storage_unavailable",
            "the message could not be saved right now; send it again",
            None,
            extra,
            client_id,
        )
    )
