"""Where features extend the core: typed slots, filled in a feature's ``attach``.

The core calls these; a feature replaces a slot with its own implementation
(opening hours set ``opening``, the audit log sets ``audit``, operations set
``welcome_extra``). Services that need a hook keep the :class:`Hooks` object and
read the slot when they use it, so a feature attached after the service was
built still takes effect, and nothing is patched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request

from chatserver.logs import get_logger
from chatserver.storage.base import Unit, User

__all__ = [
    "AlwaysOpen",
    "AuditRecorder",
    "BindContact",
    "Hooks",
    "IntakeIdentity",
    "OpeningPolicy",
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


def _no_extra(role: str) -> dict[str, Any]:
    return {}


# What to do with a new contact's id once the intake has created it.
BindContact = Callable[[str], Awaitable[None]]
# Called before an intake: raises to refuse it (``identification_required``),
# or returns how to bind the new contact to the person making it (None: anonymous).
IntakeIdentity = Callable[[Request], Awaitable[BindContact | None]]


async def _anonymous(request: Request) -> BindContact | None:
    return None


@dataclass(eq=False)
class Hooks:
    opening: OpeningPolicy = field(default_factory=AlwaysOpen)
    audit: AuditRecorder = log_audit_event
    # Extra fields of the patient/staff ``welcome`` (operations: the banner).
    welcome_extra: Callable[[str], dict[str, Any]] = _no_extra
    # Who makes an intake (identity: the patient session); the core's: anonymous.
    intake_identity: IntakeIdentity = _anonymous
