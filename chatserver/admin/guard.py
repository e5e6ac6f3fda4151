"""Shared by the admin API modules: the admin check and the audit call.

Every admin request needs an admin's session; every change also the CSRF
token (:func:`~chatserver.http.staff.staff_session_for_change`) and is
audited (``state.audit_event``) with what changed, never with patient data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from chatserver.access import policy as access
from chatserver.access.sessions import ActiveSession
from chatserver.errors import Forbidden
from chatserver.http.staff import current_session, staff_session_for_change

if TYPE_CHECKING:
    from chatserver.state import AppState


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


async def require_admin(request: Request, *, change: bool) -> ActiveSession:
    active = await (staff_session_for_change(request) if change else current_session(request))
    if not access.can_admin(active.user):
        await state_of(request).audit_event(
            request,
            active.user,
            "admin_access",
            result="forbidden",
            detail={"path": request.url.path},
        )
        raise Forbidden("forbidden", "administrators only")
    return active


async def audit(
    request: Request,
    active: ActiveSession,
    action: str,
    *,
    unit_id: str | None = None,
    contact_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await state_of(request).audit_event(
        request,
        active.user,
        action,
        result="ok",
        unit_id=unit_id,
        contact_id=contact_id,
        detail=detail,
    )


def changed_fields(body: Any) -> dict[str, Any]:
    """The fields a PATCH body actually set (for the audit detail)."""
    return {k: getattr(body, k) for k in sorted(body.model_fields_set)}
