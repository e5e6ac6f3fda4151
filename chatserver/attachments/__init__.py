"""Feature: photo attachments (PROTOCOL.md v1.1 "Photo attachments").

A patient or the staff member on a contact uploads a photo; it is sniffed,
decoded with a pixel cap, re-encoded without any metadata (:mod:`.image`),
stored in the database with a thumbnail (:mod:`.store`, migration 0015) and
delivered as a ``message`` frame with ``attachment`` (:mod:`.service`). The
routes are in :mod:`.http`; the streamed, size-capped form reading in
:mod:`.upload`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from .http import routes as _routes
from .service import AttachmentService
from .store import AttachmentStore

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["AttachmentService", "AttachmentStore", "attach", "routes"]


def attach(state: AppState) -> None:
    """Put the upload service on the app (its decode bound is per instance)."""
    state.extensions.put(
        AttachmentService(
            AttachmentStore(state.storage),
            state.conversations,
            state.clock,
            state.settings.attachment_decode_workers,
        )
    )


def routes() -> list[BaseRoute]:
    return _routes()
