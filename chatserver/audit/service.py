"""The audit log service: record events, checkpoint the chain head, verify.

:meth:`AuditLog.record` refuses (raises :class:`AuditUnavailableError`) when the
event cannot be stored, so callers audit *before* handing out patient data and
the access fails with the audit. The signed checkpoint is written after the
event is durable; a failure there is logged loudly but does not refuse the
access (the event itself is stored and chained).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chatserver.audit.chain import AuditEvent, Verdict, Verifier, make_checkpoint
from chatserver.audit.checkpoint import CheckpointError, read_checkpoint, write_checkpoint
from chatserver.audit.store import AuditStore
from chatserver.errors import ChatError
from chatserver.logs import get_logger
from chatserver.storage.base import User

log = get_logger("chatserver.audit")

# Events per read while verifying: bounded memory for any log size.
VERIFY_PAGE = 5000


class AuditUnavailableError(ChatError):
    """503 ``audit_unavailable``: the access is refused because it cannot be logged."""

    status = 503
    default_code = "audit_unavailable"


def iso_utc(ts: float) -> str:
    """Fixed-width UTC time with microseconds: sorts correctly as text."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    def __init__(
        self,
        store: AuditStore,
        key: bytes,
        checkpoint_file: Path,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.key = key
        self.checkpoint_file = checkpoint_file
        self.clock = clock
        self._lock = asyncio.Lock()
        self._latest: AuditEvent | None = None
        self._checkpointed = 0

    async def record(
        self,
        action: str,
        *,
        result: str,
        request_id: str,
        user: User | None = None,
        unit_id: str | None = None,
        contact_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        event = AuditEvent(
            at=iso_utc(self.clock()),
            action=action,
            result=result,
            request_id=request_id,
            actor_user_id=user.id if user else None,
            actor_username=user.username if user else None,
            actor_role=user.role if user else None,
            actor_units=",".join(user.unit_ids) if user else "",
            unit_id=unit_id,
            contact_id=contact_id,
            detail=dict(detail or {}),
        )
        try:
            sealed = await self.store.append(event, self.key)
        except Exception as exc:
            log.error("audit_write_failed", action=action, error=type(exc).__name__)
            raise AuditUnavailableError(
                "audit_unavailable", "the access cannot be logged right now and is refused"
            ) from exc
        await self._checkpoint(sealed)
        return sealed

    async def _checkpoint(self, sealed: AuditEvent) -> None:
        if self._latest is None or sealed.seq > self._latest.seq:
            self._latest = sealed
        async with self._lock:
            head = self._latest
            if head is None or head.seq <= self._checkpointed:
                return  # a later record already checkpointed past this one
            cp = make_checkpoint(head.seq, head.hash, self.key)
            try:
                await asyncio.to_thread(write_checkpoint, self.checkpoint_file, cp)
            except OSError as exc:
                log.error("audit_checkpoint_failed", error=type(exc).__name__)
                return
            self._checkpointed = head.seq

    async def checkpoint_now(self) -> int:
        """Sign the current head of the stored chain (e.g. after a CLI append)."""
        seq, head = await self.store.head()
        if seq:
            await asyncio.to_thread(
                write_checkpoint, self.checkpoint_file, make_checkpoint(seq, head, self.key)
            )
        return seq

    async def verify(self) -> Verdict:
        try:
            checkpoint = await asyncio.to_thread(read_checkpoint, self.checkpoint_file)
        except CheckpointError:
            return Verdict(0, None, "the checkpoint file is unreadable")
        verifier = Verifier(self.key, checkpoint)
        after = 0
        while True:
            page = await self.store.scan(after, VERIFY_PAGE)
            for ev in page:
                bad = verifier.feed(ev)
                if bad is not None:
                    return bad
            if len(page) < VERIFY_PAGE:
                return verifier.finish()
            after = page[-1].seq
