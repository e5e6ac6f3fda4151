"""Login policy around :class:`~chatserver.sessions.SessionService`:
per-address and per-account throttling and the audit trail of sign-ins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from limits import parse
from starlette.requests import Request

from chatserver.errors import ChatError, RateLimited
from chatserver.logs import get_logger
from chatserver.sessions import LoginResult

if TYPE_CHECKING:
    from chatserver.app import AppState

log = get_logger("chatserver.auth")

# 10 attempts a minute per client address: a person mistyping needs 3–4.
LOGIN_PER_ADDRESS = parse("10/minute")
# 5 failures in 15 minutes lock an account for the rest of the window
# (online guessing of one account is bounded at 20 an hour).
FAILURES_PER_ACCOUNT = parse("5/15minutes")


class Auth:
    def __init__(self, state: AppState) -> None:
        self.state = state

    async def login(
        self, request: Request, username: str, password: str, otp: str | None
    ) -> LoginResult:
        state = self.state
        address = request.client.host if request.client else "unknown"
        if not state.limits.hit(LOGIN_PER_ADDRESS, "login-addr", address):
            raise RateLimited("rate_limited", "too many sign-in attempts; wait a minute")
        account_key = username.lower()
        if not state.limits.moving.test(FAILURES_PER_ACCOUNT, "login-fail", account_key):
            log.warning("login_locked", reason="account_throttled")
            await state.audit_event(request, None, "login_locked", result="refused",
                                    detail={"username": username})
            raise RateLimited("rate_limited", "too many failed sign-ins; try again later")
        try:
            result = await state.sessions.login(username, password, otp)
        except ChatError as exc:
            if exc.code != "otp_required":
                state.limits.moving.hit(FAILURES_PER_ACCOUNT, "login-fail", account_key)
            await state.audit_event(request, None, "login", result=exc.code,
                                    detail={"username": username})
            raise
        await state.audit_event(request, result.user, "login", result="ok")
        return result
