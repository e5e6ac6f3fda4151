"""The tamper-evident audit log (feature module: ``attach``, ``routes``, ``register``).

``attach(state)`` replaces :meth:`AppState.audit_event` with a real recorder:
each call appends one hash-chained, signed event (see :mod:`.chain`) and raises
:class:`AuditUnavailableError` when it cannot, so the access it guards is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from chatserver.audit.chain import AuditEvent, Checkpoint, Verdict, Verifier, verify
from chatserver.audit.cli import register
from chatserver.audit.keys import AuditSettings, checkpoint_path, load_key, login_name_digest
from chatserver.audit.review import audit_log_of
from chatserver.audit.service import AuditLog, AuditUnavailableError
from chatserver.audit.store import AuditQuery, AuditStore
from chatserver.security.request_id import current_request_id
from chatserver.storage.base import User

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = [
    "AuditEvent",
    "AuditLog",
    "AuditQuery",
    "AuditStore",
    "AuditUnavailableError",
    "Checkpoint",
    "Verdict",
    "Verifier",
    "attach",
    "audit_log_of",
    "register",
    "routes",
    "verify",
]


def attach(state: AppState) -> None:
    settings = AuditSettings()
    log = AuditLog(
        AuditStore(state.storage),
        load_key(state.settings.data_dir, settings.audit_key),
        checkpoint_path(state.settings.data_dir, settings.audit_checkpoint_path),
        state.clock,
    )
    state.extensions.put(log)

    async def audit_event(
        request: Request | None,
        user: User | None,
        action: str,
        *,
        result: str,
        unit_id: str | None = None,
        contact_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        extra = dict(detail or {})
        if request is not None and request.client is not None:
            # Where a sign-in came from is part of a security event.
            extra.setdefault("address", request.client.host)
        await log.record(
            action,
            result=result,
            request_id=current_request_id(),
            user=user,
            unit_id=unit_id,
            contact_id=contact_id,
            detail=extra,
        )

    state.hooks.audit = audit_event
    state.hooks.login_name_digest = functools.partial(login_name_digest, log.key)


def routes() -> list[BaseRoute]:
    from chatserver.audit import review  # noqa: PLC0415 - review imports staff_http

    return [*review.routes(), Route("/audit", review.page)]
