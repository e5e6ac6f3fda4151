"""Staff sign-in and server-side sessions.

The cookie carries 256 random bits; the database stores only their SHA-256, so
a copied database holds no usable session. Sessions end on logout, after
``session_idle_timeout_s`` without a request or frame, and after
``session_absolute_timeout_s`` in all.

A second-factor code signs in once: its time step is recorded in storage
(``use_totp_step``), one atomic insert that a replay on any instance, or after
a restart, cannot repeat.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pyotp

from chatserver.access.credentials import trim_sessions
from chatserver.access.password_pool import PasswordPool
from chatserver.access.passwords import hash_password, needs_rehash, verify_password
from chatserver.access.totp_secrets import open_secret
from chatserver.errors import Unauthenticated
from chatserver.security.totp import FORGET_AFTER_STEPS, current_step, matching_step
from chatserver.settings import Settings
from chatserver.storage.base import Session, Storage, User

COOKIE_NAME = "chat_session"
TLS_COOKIE_NAME = "__Host-chat_session"
# Touch last_seen at most this often: the idle timeout is minutes, a write per
# request is not needed to enforce it.
TOUCH_EVERY_S = 15.0


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User
    cookie_value: str
    csrf_token: str
    session_hash: str


@dataclass(frozen=True, slots=True)
class ActiveSession:
    user: User
    session: Session


class SessionService:
    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        clock: Callable[[], float],
        *,
        close_session: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.clock = clock
        # Closes the sockets of a session ended here (the concurrent-session limit).
        self.close_session = close_session
        # argon2 runs here, never on the event loop (password_pool.py).
        self.passwords = PasswordPool(settings.password_workers, settings.password_queue)

    @property
    def cookie_name(self) -> str:
        return TLS_COOKIE_NAME if self.settings.tls else COOKIE_NAME

    async def login(self, username: str, password: str, otp: str | None) -> LoginResult:
        user = await self.storage.get_user_by_username(username)
        ok = await self.passwords.run(
            verify_password, user.password_hash if user else None, password
        )
        if not ok or user is None or user.disabled:
            raise Unauthenticated("invalid_credentials", "wrong username or password")
        if user.totp_secret:
            if not otp:
                raise Unauthenticated("otp_required", "a one-time code is required")
            if not await self._use_otp(user, otp):
                raise Unauthenticated("invalid_credentials", "wrong username or password")
        if needs_rehash(user.password_hash):
            new_hash = await self.passwords.run(hash_password, password)
            await self.storage.set_password_hash(user.id, new_hash)
        return await self.start(user)

    async def start(self, user: User, *, method: str = "password") -> LoginResult:
        """A new session for ``user``, who has proven who they are: ``method``
        "password" (a password and second factor) or "siths" (a SITHS sign-in,
        chatserver/identity; never held back for a credential step)."""
        cookie_value = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock()
        sess = Session(
            id_hash=hash_secret(cookie_value),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            method=method,
        )
        await self.storage.create_session(sess)
        # At most max_sessions_per_user: the oldest beyond it end, sockets too.
        ended = await self.storage.write(
            trim_sessions(user.id, self.settings.max_sessions_per_user)
        )
        if self.close_session is not None:
            for id_hash in ended:
                await self.close_session(id_hash)
        return LoginResult(user, cookie_value, csrf, sess.id_hash)

    async def _use_otp(self, user: User, otp: str) -> bool:
        """True when ``otp`` is the user's code of a step within the drift window
        that has not signed in before (nor has a later step)."""
        assert user.totp_secret is not None
        secret = open_secret(self.settings, user.totp_secret)  # sealed at rest
        now = self.clock()
        step = matching_step(secret, otp, now)
        if step is None:
            return False
        return await self.storage.use_totp_step(
            user.id,
            step,
            at=now,
            forget_before=current_step(secret, now) - FORGET_AFTER_STEPS,
        )

    async def resolve(self, cookie_value: str | None) -> ActiveSession | None:
        """The live session of a cookie, or None (expired sessions are deleted)."""
        if not cookie_value or len(cookie_value) > 200:
            return None
        id_hash = hash_secret(cookie_value)
        return await self.resolve_hash(id_hash)

    async def resolve_hash(self, id_hash: str, *, touch: bool = True) -> ActiveSession | None:
        """The live session of a stored hash. ``touch=False`` for checks that are not
        the user's activity (the sweep of live sockets), so they never keep it alive."""
        sess = await self.storage.get_session(id_hash)
        if sess is None:
            return None
        now = self.clock()
        if self.expired(sess, now):
            await self.storage.delete_session(id_hash)
            return None
        user = await self.storage.get_user(sess.user_id)
        if user is None or user.disabled:
            await self.storage.delete_session(id_hash)
            return None
        if touch and now - sess.last_seen_at >= TOUCH_EVERY_S:
            await self.storage.touch_session(id_hash, now)
        return ActiveSession(user, sess)

    def expired(self, sess: Session, now: float) -> bool:
        return (
            now - sess.last_seen_at > self.settings.session_idle_timeout_s
            or now - sess.created_at > self.settings.session_absolute_timeout_s
        )

    async def touch(self, id_hash: str) -> None:
        await self.storage.touch_session(id_hash, self.clock())

    async def logout(self, id_hash: str) -> None:
        await self.storage.delete_session(id_hash)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, issuer: str = "Halsocentralchatt") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)
