"""A staff member's own account over HTTP (docs/protocol.md "Own account"):

* ``POST /api/staff/password`` {current_password, new_password}: change the
  password, re-authenticated by the current one (forced at the first sign-in
  of an account made or reset by an admin);
* ``POST /api/staff/totp/enrol`` → {otpauth_uri, secret}, shown once to the
  user themselves, and ``POST /api/staff/totp/confirm`` {otp}, which
  activates it;
* ``GET /api/staff/sessions`` and ``DELETE /api/staff/sessions/{id}``: their
  own sessions, listed and ended.

Every change needs the session and its CSRF token and is audited; a wrong
current password or code counts as a failed sign-in of the account (lockout).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access import credentials as cred
from chatserver.access import password_policy
from chatserver.access.passwords import hash_password, verify_password
from chatserver.access.sessions import ActiveSession, new_totp_secret, provisioning_uri
from chatserver.access.totp_secrets import open_secret, seal_secret
from chatserver.contract.spec import STAFF, STAFF_CHANGE, Operation, Reply, operation
from chatserver.errors import (
    CLOSE_POLICY,
    Forbidden,
    InvalidInput,
    NotFoundError,
    RateLimited,
    StateConflict,
)
from chatserver.http import models as m
from chatserver.http.staff import account_state, staff_session_for_change, user_body
from chatserver.http.staff import current_session as _current
from chatserver.http.util import json_response, model_response, read_json_object
from chatserver.security.totp import FORGET_AFTER_STEPS, current_step, matching_step

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["routes"]

NO_STORE = {"Cache-Control": "no-store"}


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


def _string(data: dict[str, Any], name: str, limit: int) -> str:
    raw = data.get(name)
    if not isinstance(raw, str) or not raw or len(raw) > limit:
        raise InvalidInput("invalid_field", f"{name} is required", fields={name: "string required"})
    return raw


async def _not_locked(state: AppState, active: ActiveSession) -> None:
    wait = await state.auth.lockout.locked_for(active.user.username)
    if wait > 0:
        raise RateLimited(
            "rate_limited",
            "too many failed attempts; try again later",
            extra={"retry_after_s": int(wait) + 1},
        )


async def _end(state: AppState, hashes: list[str], reason: str) -> None:
    for id_hash in hashes:
        await state.fanout.close_target("session", id_hash, CLOSE_POLICY, reason)


@operation(
    Operation(
        "Change one's own password (pending ok); ends every other session",
        STAFF_CHANGE,
        "account",
        {200: m.PasswordChanged},
        errors={
            403: ("wrong_current_password",),
            409: ("password_changed",),
            422: ("password_unchanged", "weak_password"),
            429: ("rate_limited",),
            503: ("busy",),
        },
        body=m.PasswordChange,
        extension=True,
    )
)
async def change_password(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request, pending_ok=True)
    data = await read_json_object(request)
    current = _string(data, "current_password", password_policy.MAX_LENGTH)
    new = _string(data, "new_password", password_policy.MAX_LENGTH)
    await _not_locked(state, active)
    user = active.user
    if not await state.sessions.passwords.run(verify_password, user.password_hash, current):
        await state.auth.lockout.failure(user.username)
        await state.audit_event(request, user, "password_change", result="wrong_password")
        raise Forbidden("wrong_current_password", "the current password is wrong")
    if new == current:
        raise InvalidInput(
            "password_unchanged",
            "the new password must differ from the current one",
            fields={"new_password": "unchanged"},
        )
    await password_policy.check_async(new, user_inputs=(user.username, user.display_name))
    new_hash = await state.sessions.passwords.run(hash_password, new)
    if not await state.storage.write(cred.set_own_password(user.id, user.password_hash, new_hash)):
        raise StateConflict("password_changed", "the password was changed meanwhile; sign in again")
    # Other sessions may be someone who knew the old password: they end.
    ended = await state.storage.write(cred.end_sessions_except(user.id, active.session.id_hash))
    await _end(state, ended, "password changed")
    await state.auth.lockout.success(user.username)
    await state.audit_event(
        request, user, "password_change", result="ok", detail={"sessions_ended": len(ended)}
    )
    fresh = await state.storage.get_user(user.id)
    assert fresh is not None
    return json_response(
        {"user": user_body(fresh), **account_state(state, fresh), "sessions_ended": len(ended)}
    )


@operation(
    Operation(
        "Start the TOTP enrolment (pending ok): the secret, shown once",
        STAFF_CHANGE,
        "account",
        {200: Reply(m.Enrolment, headers=("Cache-Control",))},
        errors={409: ("already_enrolled",)},
        extension=True,
    )
)
async def enrol_totp(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request, pending_ok=True)
    user = active.user
    if user.must_change_password:
        raise Forbidden("password_change_required", "change your password first")
    if user.totp_secret is not None:
        raise StateConflict(
            "already_enrolled", "a second factor is enrolled; an admin can reset it"
        )
    secret = new_totp_secret()
    if not await state.storage.write(
        cred.set_totp_pending(user.id, seal_secret(state.settings, secret))
    ):
        raise StateConflict("already_enrolled", "a second factor is enrolled")
    await state.audit_event(request, user, "totp_enrol", result="started")
    body = m.Enrolment(otpauth_uri=provisioning_uri(secret, user.username), secret=secret)
    return model_response(body, headers=NO_STORE)


@operation(
    Operation(
        "Confirm the TOTP enrolment with a code (pending ok)",
        STAFF_CHANGE,
        "account",
        {200: m.AccountState},
        errors={
            409: ("already_enrolled", "no_enrolment"),
            422: ("invalid_otp",),
            429: ("rate_limited",),
        },
        body=m.Confirm,
        extension=True,
    )
)
async def confirm_totp(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request, pending_ok=True)
    data = await read_json_object(request)
    otp = _string(data, "otp", 20)
    user = active.user
    if user.totp_secret is not None:
        raise StateConflict("already_enrolled", "a second factor is enrolled")
    if user.totp_pending is None:
        raise StateConflict("no_enrolment", "start the enrolment first")
    await _not_locked(state, active)
    secret = open_secret(state.settings, user.totp_pending)
    now = state.clock()
    step = matching_step(secret, otp, now)
    if step is None:
        await state.auth.lockout.failure(user.username)
        await state.audit_event(request, user, "totp_enrol", result="invalid_otp")
        raise InvalidInput("invalid_otp", "wrong code", fields={"otp": "wrong code"})
    if not await state.storage.write(cred.confirm_totp(user.id, user.totp_pending)):
        raise StateConflict("no_enrolment", "the enrolment changed meanwhile; start again")
    # The code that confirmed it cannot sign in again (replay).
    await state.storage.use_totp_step(
        user.id, step, at=now, forget_before=current_step(secret, now) - FORGET_AFTER_STEPS
    )
    await state.audit_event(request, user, "totp_enrol", result="ok")
    fresh = await state.storage.get_user(user.id)
    assert fresh is not None
    return json_response({"user": user_body(fresh), **account_state(state, fresh)})


@operation(
    Operation(
        "One's own live sessions, newest first",
        STAFF,
        "account",
        {200: Reply(m.SessionList, headers=("Cache-Control",))},
        extension=True,
    )
)
async def list_sessions(request: Request) -> Response:
    state = _state(request)
    active = await _current(request)
    rows = await state.storage.read(cred.sessions_of(active.user.id))
    now = state.clock()
    live = [
        m.OwnSession(
            id=s.public_id,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            current=s.id_hash == active.session.id_hash,
        )
        for s in rows
        if not (
            now - s.last_seen_at > state.settings.session_idle_timeout_s
            or now - s.created_at > state.settings.session_absolute_timeout_s
        )
    ]
    listing = m.SessionList(sessions=live, limit=state.settings.max_sessions_per_user)
    return model_response(listing, headers=NO_STORE)


@operation(
    Operation(
        "End one of one's own sessions",
        STAFF_CHANGE,
        "account",
        {200: m.Revoked},
        errors={404: ("unknown_session",)},
        extension=True,
    )
)
async def revoke_session(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request)
    wanted = str(request.path_params.get("session_id", ""))
    rows = await state.storage.read(cred.sessions_of(active.user.id))
    match = next((s for s in rows if s.public_id == wanted), None)
    if match is None:
        raise NotFoundError("unknown_session", "no such session of yours")
    await state.sessions.logout(match.id_hash)
    await _end(state, [match.id_hash], "session revoked")
    current = match.id_hash == active.session.id_hash
    await state.audit_event(
        request, active.user, "session_revoke", result="ok", detail={"current": current}
    )
    return model_response(m.Revoked(status="revoked", current=current))


def routes() -> list[BaseRoute]:
    return [
        Route("/api/staff/password", change_password, methods=["POST"]),
        Route("/api/staff/totp/enrol", enrol_totp, methods=["POST"]),
        Route("/api/staff/totp/confirm", confirm_totp, methods=["POST"]),
        Route("/api/staff/sessions", list_sessions),
        Route("/api/staff/sessions/{session_id}", revoke_session, methods=["DELETE"]),
    ]
