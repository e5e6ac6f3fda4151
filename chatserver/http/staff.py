"""Staff sign-in and sign-out over HTTP, and the helpers other staff routes use."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.access.credentials import pending_step
from chatserver.access.sessions import ActiveSession
from chatserver.contract.spec import ANYONE, STAFF, STAFF_CHANGE, Operation, operation
from chatserver.errors import CLOSE_POLICY, Forbidden, InvalidInput, Unauthenticated
from chatserver.http import models as m
from chatserver.http.origin import origin_allowed
from chatserver.http.util import json_response, read_json_object

if TYPE_CHECKING:
    from chatserver.state import AppState


# Set with the session cookie, readable by JavaScript, holding nothing but "1".
SIGNED_IN_HINT = "staff_signed_in"


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


def user_body(active_user: Any) -> dict[str, Any]:
    return {
        "id": active_user.id,
        "username": active_user.username,
        "display_name": active_user.display_name,
        "role": active_user.role,
        "units": list(active_user.unit_ids),
    }


def account_state(state: AppState, active_user: Any, method: str = "password") -> dict[str, bool]:
    """What the user must do before anything else (access/credentials.py);
    ``method``: how the session was signed in (nothing after SITHS)."""
    step = pending_step(active_user, require_otp=state.settings.require_otp, method=method)
    return {
        "must_change_password": step == "password_change_required",
        "must_enrol_totp": step == "totp_enrolment_required",
    }


async def current_session(request: Request, *, pending_ok: bool = False) -> ActiveSession:
    """The caller's live session, or 401. A session whose user must still
    change their password or enrol a second factor gets 403 with that step's
    code, unless the route is one of those steps (``pending_ok``)."""
    state = _state(request)
    active = await state.sessions.resolve(request.cookies.get(state.sessions.cookie_name))
    if active is None:
        raise Unauthenticated("not_authenticated", "sign in first")
    if not pending_ok:
        step = pending_step(
            active.user, require_otp=state.settings.require_otp, method=active.session.method
        )
        if step == "password_change_required":
            raise Forbidden(step, "change your password first")
        if step is not None:
            raise Forbidden(step, "enrol your second factor first")
    return active


def check_csrf(request: Request, active: ActiveSession) -> None:
    """State-changing staff requests: X-CSRF-Token and a same-site Origin."""
    state = _state(request)
    token = request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(token.encode(), active.session.csrf_token.encode()):
        raise Forbidden("csrf_failed", "missing or wrong X-CSRF-Token")
    origin = request.headers.get("origin")
    if origin is not None:
        if not origin_allowed(
            origin, request.headers, state.settings.allowed_origins, state.settings.tls
        ):
            raise Forbidden("origin_refused", "cross-site request refused")
    elif request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        # No Origin (older browsers on same-origin requests): the browser's own
        # Fetch Metadata must then say the request did not come from another site.
        raise Forbidden("origin_refused", "cross-site request refused")


async def staff_session_for_change(request: Request, *, pending_ok: bool = False) -> ActiveSession:
    active = await current_session(request, pending_ok=pending_ok)
    check_csrf(request, active)
    return active


@operation(
    Operation(
        "Staff sign-in: password and one-time code; sets the session cookie",
        ANYONE,
        "staff",
        {200: m.Me},
        errors={
            401: ("invalid_credentials", "otp_required"),
            403: ("origin_refused",),
            429: ("rate_limited",),
            503: ("audit_unavailable", "busy"),
        },
        body=m.Login,
    )
)
async def login(request: Request) -> Response:
    state = _state(request)
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(
        origin, request.headers, state.settings.allowed_origins, state.settings.tls
    ):
        raise Forbidden("origin_refused", "cross-site request refused")
    data = await read_json_object(request)
    username, password, otp = data.get("username"), data.get("password"), data.get("otp")
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidInput(
            "invalid_field",
            "username and password are required",
            fields={"username": "string required", "password": "string required"},
        )
    if otp is not None and not isinstance(otp, str):
        raise InvalidInput("invalid_field", "otp must be a string", fields={"otp": "string"})
    if len(username) > 200 or len(password) > 1024:
        raise Unauthenticated("invalid_credentials", "wrong username or password")
    result = await state.auth.login(request, username, password, otp)
    resp = json_response(
        {
            "user": user_body(result.user),
            "csrf_token": result.csrf_token,
            **account_state(state, result.user),
        }
    )
    set_session_cookie(resp, state, result.cookie_value, samesite="strict")
    return resp


def set_session_cookie(
    resp: Response, state: AppState, cookie_value: str, *, samesite: Literal["strict", "lax"]
) -> None:
    """The staff session cookie: HttpOnly, Secure over TLS. ``strict`` for the
    password sign-in; ``lax`` when it is set on the redirect back from an
    identity provider (PROTOCOL.md), which a Strict cookie would not survive."""
    resp.set_cookie(
        state.sessions.cookie_name,
        cookie_value,
        httponly=True,
        samesite=samesite,
        secure=state.settings.tls,
        path="/",
    )
    # A hint the pages can read (no secret in it): only with it do they ask
    # /api/staff/me, so a signed-out visit makes no 401 (a console error).
    resp.set_cookie(
        SIGNED_IN_HINT, "1", httponly=False, samesite=samesite, secure=state.settings.tls, path="/"
    )


@operation(
    Operation(
        "Ends the session; its sockets close with 1008",
        STAFF_CHANGE,
        "staff",
        {200: m.LoggedOut},
    )
)
async def logout(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request, pending_ok=True)
    await state.sessions.logout(active.session.id_hash)
    await state.fanout.close_target("session", active.session.id_hash, CLOSE_POLICY, "logged out")
    await state.audit_event(request, active.user, "logout", result="ok")
    resp = json_response({"status": "logged_out"})
    resp.delete_cookie(
        state.sessions.cookie_name,
        path="/",
        samesite="strict",
        secure=state.settings.tls,
        httponly=True,
    )
    resp.delete_cookie(SIGNED_IN_HINT, path="/", samesite="strict", secure=state.settings.tls)
    return resp


@operation(
    Operation(
        "The current session's user, CSRF token and pending steps",
        STAFF,
        "staff",
        {200: m.Me},
        extension=True,
    )
)
async def me(request: Request) -> Response:
    try:
        active = await current_session(request, pending_ok=True)
    except Unauthenticated as exc:
        # The session ended (expired, revoked): the sign-in hint goes too, so
        # the next visit to a staff page asks nothing and logs no 401.
        _state(request).metrics.errors.labels(exc.code).inc()
        resp = json_response(exc.http_body(), exc.status)
        resp.delete_cookie(
            SIGNED_IN_HINT, path="/", samesite="strict", secure=_state(request).settings.tls
        )
        return resp
    return json_response(
        {
            "user": user_body(active.user),
            "csrf_token": active.session.csrf_token,
            **account_state(_state(request), active.user, active.session.method),
        }
    )


def routes() -> list[Route]:
    return [
        Route("/api/staff/login", login, methods=["POST"]),
        Route("/api/staff/logout", logout, methods=["POST"]),
        Route("/api/staff/me", me),
    ]
