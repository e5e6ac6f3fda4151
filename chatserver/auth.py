"""Login policy around :class:`~chatserver.sessions.SessionService`:
per-address throttling, per-account lockout with back-off
(:mod:`chatserver.security.lockout`, kept in the database so every instance
shares it) and the audit trail of sign-ins.

Every outcome is audited: ``login`` with result ``ok``, ``invalid_credentials``
or ``otp_required``; ``lockout`` when an account name gets locked;
``login_locked`` for attempts refused while locked. If the audit write of a
successful sign-in fails, the new session is ended and the sign-in refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from limits import parse
from starlette.requests import Request

from chatserver.errors import ChatError, RateLimited
from chatserver.logs import get_logger
from chatserver.security.lockout import AccountLockout
from chatserver.sessions import LoginResult

if TYPE_CHECKING:
    from chatserver.app import AppState

log = get_logger("chatserver.auth")

# 10 attempts a minute per client address: a person mistyping needs 3–4.
LOGIN_PER_ADDRESS = parse("10/minute")


class Auth:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.lockout = AccountLockout(state.storage, state.clock)

    async def login(
        self, request: Request, username: str, password: str, otp: str | None
    ) -> LoginResult:
        state = self.state
        address = request.client.host if request.client else "unknown"
        if not state.limits.hit(LOGIN_PER_ADDRESS, "login-addr", address):
            raise RateLimited("rate_limited", "too many sign-in attempts; wait a minute")
        wait = await self.lockout.locked_for(username)
        if wait > 0:
            await state.audit_event(
                request,
                None,
                "login_locked",
                result="rate_limited",
                detail={"username": username[:200]},
            )
            raise RateLimited(
                "rate_limited",
                "too many failed sign-ins; try again later",
                extra={"retry_after_s": int(wait) + 1},
            )
        try:
            result = await state.sessions.login(username, password, otp)
        except ChatError as exc:
            await self._failed(request, username, exc.code)
            raise
        await self.lockout.success(username)
        try:
            await state.audit_event(request, result.user, "login", result="ok")
        except Exception:
            # No audit record, no access: the session just made is ended again.
            await state.sessions.logout(result.session_hash)
            raise
        return result

    async def _failed(self, request: Request, username: str, code: str) -> None:
        state = self.state
        # otp_required is the normal first step of a two-step sign-in, not a guess.
        locked = 0.0 if code == "otp_required" else await self.lockout.failure(username)
        await state.audit_event(
            request, None, "login", result=code, detail={"username": username[:200]}
        )
        if locked:
            log.warning("account_locked", lock_s=int(locked))
            await state.audit_event(
                request,
                None,
                "lockout",
                result="locked",
                detail={"username": username[:200], "lock_s": int(locked)},
            )
