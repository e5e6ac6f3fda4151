"""HTTP routes of the sign-in with e-legitimation (PROTOCOL.md, "Patient and
staff sign-in with e-legitimation").

- ``GET /auth/patient/login?return_to=/path``, ``GET /auth/staff/login`` → 302 to the issuer
- ``GET /auth/patient/callback``, ``GET /auth/staff/callback`` → the session cookie and
  303 to ``return_to``
- ``GET /api/patient/me`` → ``{"identified": true, "name", "personnummer"}`` or 401
- ``GET /api/auth/methods`` → ``{"patient": bool, "staff": bool}``: which sign-ins
  are configured (public; false/false without the settings)

Every sign-in, refused sign-in and callback error is audited (``oidc_sign_in``)
with the side and the reason, never a token or a personnummer.

An error of the four ``/auth/...`` routes is the usual JSON body, or, when the
request's ``Accept`` prefers HTML (a browser), a readable page with the same
status (:mod:`.error_page`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from limits import parse as parse_limit
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatserver.contract.spec import ANYONE, PATIENT_SESSION, Operation, Reply, operation
from chatserver.errors import (
    ChatError,
    Forbidden,
    InvalidInput,
    NotFoundError,
    RateLimited,
    Unauthenticated,
)
from chatserver.http.staff import set_session_cookie
from chatserver.http.util import json_response
from chatserver.identity import error_page
from chatserver.identity import models as im
from chatserver.identity.login_store import user_id_by_hsa_id
from chatserver.identity.method import sign_in_method
from chatserver.identity.oidc import RelyingParty, Side
from chatserver.identity.personnummer import InvalidPersonnummer, parse
from chatserver.identity.return_to import safe_return_to
from chatserver.identity.sessions import PatientSessions, patient_of
from chatserver.identity.signin import SignInFailed, begin, finish

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["IdentityProviders", "routes"]


# Where a sign-in lands without return_to: the patient and staff pages.
DEFAULT_RETURN = {"patient": "/", "staff": "/staff"}
# Sign-ins started per client address: each stores a pending row, so an
# unauthenticated flood must not grow the table; a person needs one or two,
# a waiting room behind one NAT a few a minute.
SIGN_IN_PER_ADDRESS = parse_limit("30/minute")
# A name longer than this is not a person's name from a broker.
MAX_NAME_CHARS = 200


class IdentityProviders:
    """The configured relying parties (absent side = not configured)."""

    def __init__(self, patient: RelyingParty | None, staff: RelyingParty | None) -> None:
        self.by_side: dict[str, RelyingParty] = {}
        if patient is not None:
            self.by_side["patient"] = patient
        if staff is not None:
            self.by_side["staff"] = staff


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


def _rp(state: AppState, side: Side) -> RelyingParty:
    rp = state.extensions.get(IdentityProviders).by_side.get(side)
    if rp is None:
        raise NotFoundError("not_found", f"{side} sign-in is not configured")
    return rp


async def _login(request: Request, side: Side) -> Response:
    state = _state(request)
    rp = _rp(state, side)
    address = request.client.host if request.client else "unknown"
    if not state.limits.hit(SIGN_IN_PER_ADDRESS, "oidc-login-addr", address):
        raise RateLimited("rate_limited", "too many sign-ins started; wait a minute")
    return_to = safe_return_to(request.query_params.get("return_to"), DEFAULT_RETURN[side])
    if return_to is None:
        raise InvalidInput(
            "invalid_field",
            "return_to must be a path of this service",
            fields={"return_to": "a path starting with a single /"},
        )
    try:
        url = await begin(rp, state.storage, return_to, state.clock())
    except ChatError as exc:  # the issuer cannot be reached (503)
        await _audit(state, request, side, exc.code, step="login")
        raise
    return RedirectResponse(url, status_code=302, headers={"cache-control": "no-store"})


def _login_operation(summary: str) -> Operation:
    """Both sign-in starts answer alike: a 302 to the issuer, or these errors."""
    return Operation(
        summary,
        ANYONE,
        "identity",
        {302: Reply(None, description="to the identity provider", headers=("Location",))},
        errors={
            404: ("not_found",),
            422: ("invalid_field",),
            429: ("rate_limited",),
            503: ("identity_unavailable",),
        },
        query=im.LoginQuery,
    )


@operation(_login_operation("Start the patient sign-in: 302 to the e-legitimation broker"))
async def patient_login(request: Request) -> Response:
    return await _login(request, "patient")


@operation(_login_operation("Start the staff sign-in: 302 to the SITHS identity provider"))
async def staff_login(request: Request) -> Response:
    return await _login(request, "staff")


async def _audit(state: AppState, request: Request, side: Side, result: str, **detail: Any) -> None:
    await state.audit_event(
        request, None, "oidc_sign_in", result=result, detail={"side": side, **detail}
    )


async def _verified(request: Request, side: Side) -> tuple[AppState, dict[str, Any], str]:
    state = _state(request)
    rp = _rp(state, side)
    try:
        verified = await finish(rp, state.storage, request.query_params, state.clock())
    except SignInFailed as exc:
        await _audit(state, request, side, exc.code, reason=exc.reason)
        raise
    except ChatError as exc:  # the broker down (503)
        await _audit(state, request, side, exc.code)
        raise
    return state, verified.claims, verified.return_to


@operation(
    Operation(
        "The patient sign-in's return: session cookie and 303 to return_to",
        ANYONE,
        "identity",
        {303: Reply(None, description="to return_to", headers=("Location", "Set-Cookie"))},
        errors={
            401: ("invalid_id_token", "invalid_personnummer", "invalid_state", "sign_in_failed"),
            404: ("not_found",),
            503: ("audit_unavailable", "identity_unavailable"),
        },
        query=im.Callback,
        description="Errors are a readable page when Accept ranks text/html above JSON.",
    )
)
async def patient_callback(request: Request) -> Response:
    state, claims, return_to = await _verified(request, "patient")
    raw = claims.get(state.settings.patient_oidc_pnr_claim)
    try:
        if not isinstance(raw, str):
            raise InvalidPersonnummer("missing")
        personnummer = parse(raw)
    except InvalidPersonnummer:
        await _audit(state, request, "patient", "invalid_personnummer")
        raise Unauthenticated(
            "invalid_personnummer", "the identity provider sent no valid personnummer"
        ) from None
    name = _name_of(claims)
    method = sign_in_method(claims)
    sessions = state.extensions.get(PatientSessions)
    cookie_value, _ = await sessions.create(personnummer, name, method)
    await _audit(state, request, "patient", "ok", method=method)
    resp = RedirectResponse(return_to, status_code=303, headers={"cache-control": "no-store"})
    sessions.set_cookie(resp, cookie_value)
    return resp


def _name_of(claims: dict[str, Any]) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    return name.strip()[:MAX_NAME_CHARS]


@operation(
    Operation(
        "The staff sign-in's return: session cookie and 303 to return_to",
        ANYONE,
        "identity",
        {303: Reply(None, description="to return_to", headers=("Location", "Set-Cookie"))},
        errors={
            401: ("invalid_id_token", "invalid_personnummer", "invalid_state", "sign_in_failed"),
            403: ("unknown_account",),
            404: ("not_found",),
            503: ("audit_unavailable", "identity_unavailable"),
        },
        query=im.Callback,
        description="Errors are a readable page when Accept ranks text/html above JSON.",
    )
)
async def staff_callback(request: Request) -> Response:
    state, claims, return_to = await _verified(request, "staff")
    claim = state.settings.staff_oidc_user_claim
    hsa_id = claims.get(claim)
    user = None
    if isinstance(hsa_id, str) and hsa_id:
        user_id = await state.storage.read(user_id_by_hsa_id(hsa_id))
        user = None if user_id is None else await state.storage.get_user(user_id)
    if user is None or user.disabled:
        await _audit(
            state,
            request,
            "staff",
            "unknown_account",
            hsa_id=hsa_id[:64] if isinstance(hsa_id, str) else None,
        )
        raise Forbidden("unknown_account", "no staff account has this SITHS identity")
    result = await state.sessions.start(user, method="siths")
    try:
        await state.audit_event(
            request, user, "oidc_sign_in", result="ok", detail={"side": "staff"}
        )
    except Exception:
        # No audit record, no access (as the password sign-in).
        await state.sessions.logout(result.session_hash)
        raise
    resp = RedirectResponse(return_to, status_code=303, headers={"cache-control": "no-store"})
    set_session_cookie(resp, state, result.cookie_value, samesite="lax")
    return resp


@operation(
    Operation(
        "Which sign-ins are configured (patient, staff)",
        ANYONE,
        "identity",
        {200: Reply(im.Methods, headers=("Cache-Control",))},
        extension=True,
    )
)
async def auth_methods(request: Request) -> Response:
    """Which sign-ins the pages may offer: "Logga in med BankID / Freja"
    (patient) and "Logga in med SITHS" (staff)."""
    try:
        configured = _state(request).extensions.get(IdentityProviders).by_side
    except LookupError:  # the identity feature is not attached
        configured = {}
    return json_response(
        {"patient": "patient" in configured, "staff": "staff" in configured},
        headers={"cache-control": "no-store"},
    )


@operation(
    Operation(
        "The signed-in patient: name and personnummer",
        PATIENT_SESSION,
        "identity",
        {200: Reply(im.PatientMe, headers=("Cache-Control",))},
    )
)
async def patient_me(request: Request) -> Response:
    session = await patient_of(request)
    if session is None:
        raise Unauthenticated("not_authenticated", "sign in with e-legitimation first")
    return json_response(
        {
            "identified": True,
            "name": session.name,
            "personnummer": session.personnummer.digits,
        },
        headers={"cache-control": "no-store"},
    )


def readable(
    side: Side, handler: Callable[[Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` whose errors a browser gets as a page (docs/identity.md,
    "When a sign-in fails"); an API client still gets ``{"error": {...}}``."""

    @functools.wraps(handler)  # keeps the handler's contract (chatserver/contract/spec.py)
    async def route(request: Request) -> Response:
        try:
            return await handler(request)
        except ChatError as exc:
            if not error_page.prefers_html(request.headers.get("accept", "")):
                raise
            _state(request).metrics.errors.labels(exc.code).inc()
            return error_page.response(exc, side)

    return route


def routes() -> list[BaseRoute]:
    return [
        Route("/auth/patient/login", readable("patient", patient_login)),
        Route("/auth/patient/callback", readable("patient", patient_callback)),
        Route("/auth/staff/login", readable("staff", staff_login)),
        Route("/auth/staff/callback", readable("staff", staff_callback)),
        Route("/api/patient/me", patient_me),
        Route("/api/auth/methods", auth_methods),
    ]
