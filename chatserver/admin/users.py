"""Admin API for staff accounts: list, create, change (role, units, disabled),
reset the password and reset the second factor. Disabling, a new role or new
units, and a reset end every session of the account (its sockets close with 1008).

The admin never sees a second factor: a new account, or one whose password
was reset, changes its password at the first sign-in, and enrols its own TOTP
(http/account.py); a reset of the second factor clears it, which makes the
user enrol again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access import credentials as cred
from chatserver.access import password_policy
from chatserver.access.passwords import hash_password
from chatserver.admin import models as am
from chatserver.admin import validation as v
from chatserver.admin.guard import audit, changed_fields, require_admin, state_of
from chatserver.admin.service import of
from chatserver.contract.spec import ADMIN, ADMIN_CHANGE, Operation, operation
from chatserver.errors import CLOSE_POLICY, InvalidInput, NotFoundError, StateConflict
from chatserver.http.params import path_id
from chatserver.http.util import json_response, read_json_object
from chatserver.storage.base import Conflict, NotFound, User

if TYPE_CHECKING:
    from chatserver.state import AppState


def user_dict(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "units": list(u.unit_ids),
        "disabled": u.disabled,
        "second_factor": u.totp_secret is not None,
        "must_change_password": u.must_change_password,
        "created_at": u.created_at,
    }


@operation(
    Operation(
        "Every staff account",
        ADMIN,
        "admin",
        {200: am.UserList},
        extension=True,
    )
)
async def list_users(request: Request) -> Response:
    await require_admin(request, change=False)
    users = await of(state_of(request)).store.list_users()
    return json_response({"users": [user_dict(u) for u in users]})


@operation(
    Operation(
        "Create a staff account (first sign-in: own password and TOTP)",
        ADMIN_CHANGE,
        "admin",
        {201: am.UserReply},
        errors={
            404: ("unknown_unit",),
            409: ("already_exists",),
            422: ("weak_password",),
            503: ("busy",),
        },
        body=v.UserCreate,
        extension=True,
    )
)
async def create_user(request: Request) -> Response:
    from chatserver.cli.common import add_user  # noqa: PLC0415 - the CLI's own creation path

    active = await require_admin(request, change=True)
    state = state_of(request)
    body = v.parse(v.UserCreate, await read_json_object(request))
    try:
        user_id, _ = await add_user(
            state.storage,
            state.settings,
            body.username,
            body.password,
            body.role,
            body.units,
            body.display_name,
            first_sign_in=True,
        )
    except Conflict:
        raise StateConflict("already_exists", "that username is taken") from None
    except NotFound:
        raise InvalidInput(
            "invalid_field", "unknown unit", fields={"units": "unknown unit"}
        ) from None
    user = await state.storage.get_user(user_id)
    assert user is not None
    await audit(
        request,
        active,
        "admin_user_create",
        detail={"user_id": user_id, "role": body.role, "units": sorted(body.units)},
    )
    # No otpauth URI: the user enrols their own second factor at first sign-in.
    return json_response({"user": user_dict(user)}, 201)


async def _end_sessions(state: AppState, user_id: int, reason: str) -> int:
    hashes = await of(state).store.delete_sessions(user_id)
    await state.fanout.close_target("user", user_id, CLOSE_POLICY, reason)
    return len(hashes)


@operation(
    Operation(
        "Change an account (role, units, disabled)",
        ADMIN_CHANGE,
        "admin",
        {200: am.UserUpdated},
        errors={404: ("unknown_unit", "unknown_user"), 409: ("cannot_change_self",)},
        body=v.UserUpdate,
        extension=True,
    )
)
async def update_user(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    user_id = path_id(request.path_params, "user_id", "unknown_user", "no such user")
    body = v.parse(v.UserUpdate, await read_json_object(request))
    if user_id == active.user.id and (body.disabled or body.role not in (None, "admin")):
        raise StateConflict("cannot_change_self", "you cannot disable or demote yourself")
    try:
        user = await of(state).store.update_user(
            user_id,
            display_name=body.display_name,
            role=body.role,
            unit_ids=body.units,
            disabled=body.disabled,
        )
    except NotFound:
        raise InvalidInput(
            "invalid_field", "unknown unit", fields={"units": "unknown unit"}
        ) from None
    if user is None:
        raise NotFoundError("unknown_user", "no such user")
    ended = 0
    # Disabling, or a change of role or units, ends the user's sessions: they
    # sign in again and get exactly the new rights (sockets bind units at connect).
    if body.disabled or body.role is not None or body.units is not None:
        ended = await _end_sessions(state, user_id, "account changed")
    await audit(
        request,
        active,
        "admin_user_update",
        detail={"user_id": user_id, **changed_fields(body), "sessions_ended": ended},
    )
    return json_response({"user": user_dict(user), "sessions_ended": ended})


@operation(
    Operation(
        "Clear an account's second factor",
        ADMIN_CHANGE,
        "admin",
        {200: am.UserReset},
        errors={404: ("unknown_user",)},
        extension=True,
    )
)
async def reset_second_factor(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    user_id = path_id(request.path_params, "user_id", "unknown_user", "no such user")
    user = await state.storage.get_user(user_id)
    if user is None:
        raise NotFoundError("unknown_user", "no such user")
    # Cleared, not replaced: the user enrols a new one at the next sign-in.
    await state.storage.write(cred.clear_totp([user_id]))
    ended = await _end_sessions(state, user_id, "second factor reset")
    await audit(
        request,
        active,
        "admin_user_reset_otp",
        detail={"user_id": user_id, "sessions_ended": ended},
    )
    return json_response({"user_id": user_id, "sessions_ended": ended})


@operation(
    Operation(
        "Set a new password the user must change",
        ADMIN_CHANGE,
        "admin",
        {200: am.UserReset},
        errors={404: ("unknown_user",), 422: ("weak_password",), 503: ("busy",)},
        body=v.PasswordReset,
        extension=True,
    )
)
async def reset_password(request: Request) -> Response:
    """A new password set by the admin, which the user must change at the next
    sign-in (the admin knows it)."""
    active = await require_admin(request, change=True)
    state = state_of(request)
    user_id = path_id(request.path_params, "user_id", "unknown_user", "no such user")
    body = v.parse(v.PasswordReset, await read_json_object(request))
    user = await state.storage.get_user(user_id)
    if user is None:
        raise NotFoundError("unknown_user", "no such user")
    await password_policy.check_async(body.password, user_inputs=(user.username, user.display_name))
    new_hash = await state.sessions.passwords.run(hash_password, body.password)
    if not await state.storage.write(cred.set_password_by_admin(user_id, new_hash)):
        raise NotFoundError("unknown_user", "no such user")
    ended = await _end_sessions(state, user_id, "password reset")
    await audit(
        request,
        active,
        "admin_user_reset_password",
        detail={"user_id": user_id, "sessions_ended": ended},
    )
    return json_response({"user_id": user_id, "sessions_ended": ended})


def routes() -> list[BaseRoute]:
    a = "/api/admin/users"
    return [
        Route(a, list_users),
        Route(a, create_user, methods=["POST"]),
        # str parameters: Starlette's int converter takes any number of digits.
        Route(f"{a}/{{user_id}}", update_user, methods=["PATCH"]),
        Route(f"{a}/{{user_id}}/reset-second-factor", reset_second_factor, methods=["POST"]),
        Route(f"{a}/{{user_id}}/reset-password", reset_password, methods=["POST"]),
    ]
