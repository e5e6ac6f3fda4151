"""Auditing the queue preview: the thin shell around :mod:`chatserver.core.preview_audit`.

A nurse's or doctor's queue rows show names and the first words of
complaints, so each snapshot of a unit's queues sent to them is a list
access, ``queue_preview_read`` (docs/protocol.md, "Queue preview audit"):
the ``welcome``'s is written before it leaves (a failure refuses the
welcome), a push's alongside it on a task of its own (a failure is logged
and the next snapshot writes one). Which snapshots get an entry is decided
by :class:`~chatserver.core.preview_audit.PreviewAuditThrottle`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from chatserver.core.preview_audit import PreviewAuditThrottle
from chatserver.hooks import Hooks
from chatserver.logs import get_logger
from chatserver.storage.base import User
from chatserver.ws import wire
from chatserver.ws.hub import Hub

log = get_logger("chatserver.queues")

# (who, unit, rows shown, snapshots the entry stands for)
Due = tuple[User, str, int, int]


class QueuePreviewAudit:
    def __init__(self, hub: Hub, hooks: Hooks) -> None:
        self.hub = hub
        self.hooks = hooks  # hooks.audit is read at each write (the audit feature sets it)
        self._throttle = PreviewAuditThrottle()
        self._viewers: dict[int, User] = {}  # clinical staff seen here, by id
        self._tasks: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _due(
        self,
        unit_id: str,
        views: Sequence[wire.QueueView],
        now: float,
        only: int | None = None,
    ) -> list[Due]:
        """The entries due for a snapshot of ``unit_id``'s queues sent to its
        clinical staff connected here (or to ``only``)."""
        rows = sum(len(v.head) for v in views if v.queue.unit_id == unit_id)
        if not rows:  # no patient shown: nothing read
            return []
        users = self.hub.clinical_users(unit_id) if only is None else {only}
        due: list[Due] = []
        for user_id in sorted(users):
            user = self._viewers.get(user_id)
            if user is None:
                continue
            snapshots = self._throttle.due(user_id, unit_id, now)
            if snapshots:
                due.append((user, unit_id, rows, snapshots))
        return due

    async def _write(self, user: User, unit_id: str, rows: int, snapshots: int) -> None:
        """One ``queue_preview_read``: a list access, the rows' count, no ids."""
        try:
            await self.hooks.audit(
                None,
                user,
                "queue_preview_read",
                result="ok",
                unit_id=unit_id,
                detail={"contacts": rows, "snapshots": snapshots},
            )
        except BaseException:
            self._throttle.retry(user.id, unit_id)  # the next snapshot writes one
            raise

    async def _write_logged(self, user: User, unit_id: str, rows: int, snapshots: int) -> None:
        try:
            await self._write(user, unit_id, rows, snapshots)
        except Exception:
            log.exception("queue_preview_audit_failed", unit_id=unit_id, user_id=user.id)

    def pushed(self, unit_id: str, views: Sequence[wire.QueueView], now: float) -> None:
        """A snapshot of ``unit_id``'s queues went to its clinical staff here."""
        for user, unit, rows, snapshots in self._due(unit_id, views, now):
            task = asyncio.get_running_loop().create_task(
                self._write_logged(user, unit, rows, snapshots)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def welcome(self, user: User, views: Sequence[wire.QueueView], now: float) -> None:
        """The queues of a clinical staff member's ``welcome``, before they leave;
        raises when the audit log cannot be written (no welcome then)."""
        self._viewers[user.id] = user
        for unit_id in sorted({v.queue.unit_id for v in views}):
            for who, unit, rows, snapshots in self._due(unit_id, views, now, user.id):
                await self._write(who, unit, rows, snapshots)
