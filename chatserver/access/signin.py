"""Login policy around :class:`~chatserver.access.sessions.SessionService`:
per-address throttling, per-account lockout with back-off
(:mod:`chatserver.security.lockout`, kept in the database so every instance
shares it) and the audit trail of sign-ins.

Every outcome is audited: ``login`` with result ``ok``, ``invalid_credentials``
or ``otp_required``; ``lockout`` when an account name gets locked;
``login_locked`` for attempts refused while locked. A refused name that is no
account's is kept only as a keyed digest (``detail.username_hmac``). If the audit write of a
successful sign-in fails, the new session is ended and the sign-in refused.
"""

from __future__ import annotations

from collections.abc import Callable

from limits import RateLimitItem, parse
from starlette.requests import Request

from chatserver.access.sessions import LoginResult, SessionService
from chatserver.errors import ChatError, RateLimited
from chatserver.hooks import Hooks
from chatserver.logs import get_logger
from chatserver.ratelimit import Limits
from chatserver.security.lockout import AccountLockout
from chatserver.storage.base import Storage

log = get_logger("chatserver.access.signin")

# 10 FAILED attempts a minute per client address (CHATSERVER_LOGIN_FAILURE_RATE_LIMIT):
# a person mistyping needs 3–4; successful sign-ins do not count, so twenty
# nurses behind one clinic address all get in at shift start.
LOGIN_PER_ADDRESS = parse("10/minute")


class Auth:
    def __init__(
        self,
        storage: Storage,
        clock: Callable[[], float],
        limits: Limits,
        sessions: SessionService,
        hooks: Hooks,
        *,
        failures_per_address: RateLimitItem = LOGIN_PER_ADDRESS,
    ) -> None:
        self.limits = limits
        self.failures_per_address = failures_per_address
        self.sessions = sessions
        self.hooks = hooks
        self.storage = storage
        self.lockout = AccountLockout(storage, clock)

    async def login(
        self, request: Request, username: str, password: str, otp: str | None
    ) -> LoginResult:
        address = request.client.host if request.client else "unknown"
        if not self.limits.allows(self.failures_per_address, "login-addr", address):
            raise RateLimited(
                "rate_limited",
                "too many failed sign-ins from this address; wait a minute",
                extra={"retry_after_s": 60},
            )
        wait = await self.lockout.locked_for(username)
        if wait > 0:
            await self.hooks.audit(
                request,
                None,
                "login_locked",
                result="rate_limited",
                detail=await self._name_detail(username),
            )
            raise RateLimited(
                "rate_limited",
                "too many failed sign-ins; try again later",
                extra={"retry_after_s": int(wait) + 1},
            )
        try:
            result = await self.sessions.login(username, password, otp)
        except ChatError as exc:
            if exc.code == "busy":  # the password pool is full: nothing was checked
                raise
            if exc.code == "invalid_credentials":  # a wrong guess (not otp_required)
                self.limits.hit(self.failures_per_address, "login-addr", address)
            await self._failed(request, username, exc.code)
            raise
        await self.lockout.success(username)
        try:
            await self.hooks.audit(request, result.user, "login", result="ok")
        except Exception:
            # No audit record, no access: the session just made is ended again.
            await self.sessions.logout(result.session_hash)
            raise
        return result

    async def _failed(self, request: Request, username: str, code: str) -> None:
        # otp_required is the normal first step of a two-step sign-in, not a guess.
        locked = 0.0 if code == "otp_required" else await self.lockout.failure(username)
        named = await self._name_detail(username)
        await self.hooks.audit(request, None, "login", result=code, detail=named)
        if locked:
            log.warning("account_locked", lock_s=int(locked))
            await self.hooks.audit(
                request,
                None,
                "lockout",
                result="locked",
                detail={**named, "lock_s": int(locked)},
            )

    async def _name_detail(self, username: str) -> dict[str, str]:
        """The name of a refused sign-in as the audit log keeps it: an account's
        name as typed; any other name (perhaps a password typed into the wrong
        field) only as its keyed digest (``hooks.login_name_digest``)."""
        if await self.storage.get_user_by_username(username) is not None:
            return {"username": username[:200]}
        return {"username_hmac": self.hooks.login_name_digest(username)}
