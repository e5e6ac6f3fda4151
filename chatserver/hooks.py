"""Where features extend the core: typed slots, filled in a feature's ``attach``.

The core calls these; a feature replaces a slot with its own implementation
(opening hours set ``opening``, the audit log sets ``audit``, operations set
``welcome_extra``). Services that need a hook keep the :class:`Hooks` object and
read the slot when they use it, so a feature attached after the service was
built still takes effect, and nothing is patched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from starlette.requests import Request

from chatserver.core.identification import VerifiedIdentity
from chatserver.errors import Unauthenticated
from chatserver.logs import get_logger
from chatserver.storage.base import Unit, User

__all__ = [
    "AlwaysOpen",
    "Anonymous",
    "AuditRecorder",
    "BindContact",
    "ContactIdentities",
    "ContactNotice",
    "Hooks",
    "Identification",
    "IntakeExtras",
    "IntakeIdentity",
    "NoIdentities",
    "NoticeKind",
    "OpeningPolicy",
    "identification_required",
    "log_audit_event",
]

log = get_logger("chatserver.audit")


class OpeningPolicy(Protocol):
    """Whether a unit takes new chats now (PROTOCOL.md ``unit_closed``)."""

    def status(self, unit: Unit, now: float) -> dict[str, Any]:
        """``open`` and related fields of ``GET /api/units``."""
        ...

    def gate(self, unit: Unit, now: float) -> None:
        """Raise ``StateConflict('unit_closed')`` when intake is not possible now."""
        ...


class AlwaysOpen:
    """The core's policy: every unit is open (opening hours refine it)."""

    def status(self, unit: Unit, now: float) -> dict[str, Any]:
        return {"open": True, "always_open": unit.always_open}

    def gate(self, unit: Unit, now: float) -> None:
        return None


class AuditRecorder(Protocol):
    """Records a security or patient-data access event."""

    async def __call__(
        self,
        request: Request | None,
        user: User | None,
        action: str,
        *,
        result: str,
        unit_id: str | None = None,
        contact_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None: ...


async def log_audit_event(
    request: Request | None,
    user: User | None,
    action: str,
    *,
    result: str,
    unit_id: str | None = None,
    contact_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """The core's recorder: one log line without patient data (the audit log
    feature replaces it with the tamper-evident chain)."""
    log.info(
        "audit",
        action=action,
        result=result,
        user_id=user.id if user else None,
        unit_id=unit_id,
        contact_id=contact_id,
    )


class ContactIdentities(Protocol):
    """Who identified contacts are, for staff (the identity feature fills it).

    Each method is one query for the whole set of contacts; contacts that are
    not identified are simply absent. Neither is called on the message path.
    """

    async def identified(self, contact_ids: Sequence[str]) -> set[str]:
        """Those of ``contact_ids`` bound to a person (no personal data read)."""
        ...

    async def verified(self, contact_ids: Sequence[str]) -> Mapping[str, VerifiedIdentity]:
        """The person of each identified contact, by contact id. Patient data:
        the caller audits every personnummer it hands to staff."""
        ...


class NoIdentities:
    """The core's: every contact is anonymous (identity not configured)."""

    async def identified(self, contact_ids: Sequence[str]) -> set[str]:
        return set()

    async def verified(self, contact_ids: Sequence[str]) -> Mapping[str, VerifiedIdentity]:
        return {}


def _no_extra(role: str) -> dict[str, Any]:
    return {}


def unkeyed_name_digest(name: str) -> str:
    """The core's pseudonym of a sign-in name that is no account's (the audit
    log feature replaces it with an HMAC under the audit key)."""
    return hashlib.sha256(("login-name:" + name.lower()).encode()).hexdigest()


# What to do with a new contact's id once the intake has created it.
BindContact = Callable[[str], Awaitable[None]]
# A unit's patient identification as ``GET /api/units`` shows it: "none" (no
# patient sign-in configured), "optional" or "required" (docs/identity.md).
Identification = Literal["none", "optional", "required"]


def identification_required() -> Unauthenticated:
    """The error of an anonymous intake to a unit that requires identification."""
    return Unauthenticated(
        "identification_required", "sign in with e-legitimation before starting a chat"
    )


class IntakeIdentity(Protocol):
    """Who makes an intake, and whether a unit takes anonymous ones."""

    def mode(self, unit: Unit) -> Identification:
        """The unit's ``identification`` in ``GET /api/units``."""
        ...

    async def __call__(self, request: Request, unit: Unit) -> BindContact | None:
        """Called before an intake to ``unit``: raises to refuse it
        (``identification_required``, nothing stored), or returns how to bind
        the new contact to the person making it (None: anonymous)."""
        ...


# What happened to a contact, for notifications while away (chatserver/notify):
# a staff member picked it, wrote to the patient or closed it; or a contact
# reached its queue (the notify feature decides whether that is a red flag).
NoticeKind = Literal["picked", "message", "closed", "queued"]


@dataclass(frozen=True, slots=True)
class ContactNotice:
    """One event of a contact, as the flow saw it (no text, no name)."""

    kind: NoticeKind
    contact_id: str
    unit_id: str
    level: str = ""
    red_flag: bool = False


def _no_notice(notice: ContactNotice) -> None:
    return None


# Extension fields of an intake body (notify: the optional ``phone``): checked
# before anything is stored (raises InvalidInput), returns what to do with the
# id of the contact once it is queued (None: nothing).
IntakeExtras = Callable[[Mapping[str, Any]], BindContact | None]


def _no_extras(data: Mapping[str, Any]) -> BindContact | None:
    return None


class Anonymous:
    """The core's: no patient sign-in, every intake anonymous. A unit set to
    ``required`` takes none (fail closed); the identity feature refuses to start
    with such a unit and no patient issuer."""

    def mode(self, unit: Unit) -> Identification:
        return "none"

    async def __call__(self, request: Request, unit: Unit) -> BindContact | None:
        if unit.identification == "required":
            raise identification_required()
        return None


@dataclass(eq=False)
class Hooks:
    opening: OpeningPolicy = field(default_factory=AlwaysOpen)
    audit: AuditRecorder = log_audit_event
    # Extra fields of the patient/staff ``welcome`` (operations: the banner).
    welcome_extra: Callable[[str], dict[str, Any]] = _no_extra
    # Who makes an intake (identity: the patient session); the core's: anonymous.
    intake_identity: IntakeIdentity = field(default_factory=Anonymous)
    # Who identified contacts are, for staff frames (identity); the core's: nobody.
    identities: ContactIdentities = field(default_factory=NoIdentities)
    # How a failed sign-in's unknown name is kept (audit: HMAC with the audit key).
    login_name_digest: Callable[[str], str] = unkeyed_name_digest
    # What happened to a contact (notify: push and SMS while away); must not
    # block or raise: it only queues. The core's: nothing.
    contact_notice: Callable[[ContactNotice], None] = _no_notice
    # Extension fields of POST /api/contacts (notify: ``phone``); the core's: none.
    intake_extras: IntakeExtras = _no_extras
