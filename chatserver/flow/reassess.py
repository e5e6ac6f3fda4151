"""Triage of a patient's later messages, after the ack and off the socket's read loop.

A patient message is acknowledged once it is committed and relayed; its
triage (:meth:`Conversations.retriage`: the rules and the learned safety net,
a raise of the level, follow-up questions) then runs here, so the socket
reads the patient's next frame at once instead of waiting ~0.1 ms of CPU
per message for it.

Nothing is skipped: each contact's messages are assessed one after the other
in the order they were acknowledged, by one task per contact that lives while
that contact has messages waiting. An assessment that meets a database that
cannot write now (PostgreSQL restarting, the disk full) is tried again with a
growing pause, for up to :data:`RETRY_FOR_S`; any other failure is logged
(never the text) and the next message is assessed. :meth:`Reassessments.settle`
waits for everything queued (the app's stop, tests).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from chatserver.logs import get_logger
from chatserver.storage.base import Contact, StorageUnavailable

log = get_logger("chatserver.flow.reassess")

# How long a message's triage is retried while the database cannot write.
RETRY_FOR_S = 60.0
FIRST_PAUSE_S = 0.2
MAX_PAUSE_S = 5.0

Assess = Callable[[Contact, str], Awaitable[None]]


class Reassessments:
    """Per-contact serial queues of messages to triage (see the module docstring)."""

    def __init__(self, assess: Assess) -> None:
        self._assess = assess
        self._waiting: dict[str, deque[tuple[Contact, str]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, contact: Contact, body: str) -> None:
        """Queue one acknowledged patient message for triage."""
        waiting = self._waiting.get(contact.id)
        if waiting is not None:  # its contact's task takes it next
            waiting.append((contact, body))
            return
        self._waiting[contact.id] = deque([(contact, body)])
        task = asyncio.get_running_loop().create_task(self._run(contact.id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def pending(self) -> int:
        """Messages waiting for (or in) their triage."""
        return sum(len(w) for w in self._waiting.values())

    async def settle(self) -> None:
        """Return once every message queued so far (and since) has been triaged."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, contact_id: str) -> None:
        waiting = self._waiting[contact_id]
        try:
            while waiting:
                contact, body = waiting[0]
                await self._one(contact, body)
                waiting.popleft()
        finally:
            del self._waiting[contact_id]

    async def _one(self, contact: Contact, body: str) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + RETRY_FOR_S
        pause = FIRST_PAUSE_S
        while True:
            try:
                await self._assess(contact, body)
                return
            except StorageUnavailable:
                if loop.time() + pause > give_up:
                    log.error("retriage_gave_up", contact_id=contact.id)
                    return
                log.warning("retriage_retry", contact_id=contact.id, pause_s=pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_S)
            except Exception:
                log.exception("retriage_failed", contact_id=contact.id)
                return
