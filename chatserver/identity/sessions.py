"""Identified patients' sessions: made at the patient sign-in's callback, read
by :func:`patient_of` wherever a request may come from an identified patient
(``/api/patient/me``, the intake, the patient's own contacts).

Like staff sessions, the cookie carries 256 random bits and the database only
their SHA-256. A session ends after :data:`PATIENT_SESSION_S` in all, after
``session_idle_timeout_s`` without a request, or on sign-out.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from chatserver.access.sessions import hash_secret
from chatserver.identity.login_store import (
    PatientSession,
    create_patient_session,
    delete_patient_session,
    get_patient_session,
    touch_patient_session,
)
from chatserver.identity.personnummer import Personnummer
from chatserver.settings import Settings
from chatserver.storage.plan import Database

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = [
    "PATIENT_COOKIE",
    "PATIENT_SESSION_S",
    "PatientSession",
    "PatientSessions",
    "patient_of",
]

PATIENT_COOKIE = "chat_patient"
TLS_PATIENT_COOKIE = "__Host-chat_patient"
# A patient's whole visit (intake, wait, chat) fits in a couple of hours; a
# longer one signs in again, as the e-legitimation apps expect.
PATIENT_SESSION_S = 4 * 3600.0
# Touch last_seen at most this often (the idle timeout is minutes).
TOUCH_EVERY_S = 15.0


class PatientSessions:
    """Creates, resolves and ends identified patients' sessions."""

    def __init__(self, db: Database, settings: Settings, clock: Callable[[], float]) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    @property
    def cookie_name(self) -> str:
        return TLS_PATIENT_COOKIE if self.settings.tls else PATIENT_COOKIE

    async def create(
        self, personnummer: Personnummer, name: str, method: str = "eid"
    ) -> tuple[str, PatientSession]:
        """A new session; returns the cookie value (never stored) and the session.
        ``method``: the e-legitimation signed in with (:mod:`.method`)."""
        cookie_value = secrets.token_urlsafe(32)
        now = self.clock()
        session = PatientSession(
            id_hash=hash_secret(cookie_value),
            personnummer=personnummer,
            name=name,
            created_at=now,
            last_seen_at=now,
            expires_at=now + PATIENT_SESSION_S,
            method=method,
        )
        await self.db.write(create_patient_session(session))
        return cookie_value, session

    async def resolve(self, cookie_value: str | None) -> PatientSession | None:
        """The live session of a cookie, or None (an ended one is deleted)."""
        if not cookie_value or len(cookie_value) > 200:
            return None
        id_hash = hash_secret(cookie_value)
        session = await self.db.read(get_patient_session(id_hash))
        if session is None:
            return None
        now = self.clock()
        idle = now - session.last_seen_at > self.settings.session_idle_timeout_s
        if idle or now >= session.expires_at:
            await self.db.write(delete_patient_session(id_hash))
            return None
        if now - session.last_seen_at >= TOUCH_EVERY_S:
            await self.db.write(touch_patient_session(id_hash, now))
        return session

    async def end(self, id_hash: str) -> None:
        await self.db.write(delete_patient_session(id_hash))

    def set_cookie(self, response: Response, cookie_value: str) -> None:
        # Lax, not Strict: the cookie is set on the redirect back from the
        # identity broker, a cross-site navigation (PROTOCOL.md).
        response.set_cookie(
            self.cookie_name,
            cookie_value,
            max_age=int(PATIENT_SESSION_S),
            httponly=True,
            samesite="lax",
            secure=self.settings.tls,
            path="/",
        )


async def patient_of(request: Request) -> PatientSession | None:
    """The identified patient making ``request``, or None (anonymous, or the
    patient sign-in is not configured)."""
    state: AppState = request.app.state.chat
    try:
        sessions = state.extensions.get(PatientSessions)
    except LookupError:
        return None
    return await sessions.resolve(request.cookies.get(sessions.cookie_name))
