"""The :class:`~.base.Storage` interface, once, in terms of plans.

:class:`PlannedStorage` implements every storage operation by handing the
operation's plan (:mod:`.contacts`, :mod:`.directory`, :mod:`.login`,
:mod:`.messages`) to :meth:`read` or :meth:`write`. An engine subclasses it
and supplies only what truly differs: its connections and how it runs a plan
(:mod:`.sqlite`: reader threads and the single group-committing writer;
:mod:`.postgres`: a pool and one transaction per write), opening and closing,
``ping``, ``erase_freed`` (after a retention purge), and the message append
hot path.

Arguments are copied before they are handed over: a plan runs later (on
SQLite, on the writer thread), and a caller's list must not change under it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar, overload

from . import contacts, directory, handover, login, messages
from .base import (
    AppendResult,
    Contact,
    ContactEvent,
    HandoverEvent,
    LockoutRecord,
    Message,
    NewContact,
    NewMessage,
    Queue,
    Session,
    Storage,
    Unit,
    User,
)
from .health import WriteHealth
from .plan import Dialect, Plan

__all__ = ["PlannedStorage"]

T = TypeVar("T")


class PlannedStorage(ABC):
    """Every :class:`~.base.Storage` operation as a plan; engines subclass it."""

    dialect: Dialect

    # -- what an engine supplies ------------------------------------------

    @abstractmethod
    async def read(self, plan: Plan[T], *, snapshot: bool = False) -> T:
        """Run a read-only plan (the :class:`~.plan.Database` port)."""

    @abstractmethod
    async def write(self, plan: Plan[T]) -> T:
        """Run a plan as one atomic write (the :class:`~.plan.Database` port)."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and apply pending numbered migrations."""

    @abstractmethod
    async def _shutdown(self) -> None:
        """Finish accepted writes and close every connection (``close()``)."""

    @abstractmethod
    async def erase_freed(self, tables: Sequence[str]) -> bool:
        """See :meth:`.base.Storage.erase_freed` (after a retention purge)."""

    @abstractmethod
    async def ping(self) -> bool:
        """True when a trivial read succeeds (for /readyz)."""

    @property
    @abstractmethod
    def write_health(self) -> WriteHealth:
        """Whether writes currently succeed (:mod:`.health`)."""

    @abstractmethod
    async def probe_write(self) -> None:
        """A cheap real write; raises StorageUnavailable when writes still fail."""

    @abstractmethod
    async def append_message(self, new: NewMessage) -> AppendResult:
        """See :meth:`.base.Storage.append_message` (the rules: :mod:`.messages`)."""

    # -- life cycle -------------------------------------------------------

    @overload
    async def close(self) -> None: ...

    @overload
    async def close(
        self, contact_id: str, *, outcome: str, at: float, actor_user_id: int | None
    ) -> Contact | None: ...

    async def close(
        self,
        contact_id: str | None = None,
        *,
        outcome: str | None = None,
        at: float | None = None,
        actor_user_id: int | None = None,
    ) -> Contact | None:
        """``close()`` shuts the storage down; ``close(contact_id, ...)`` is
        :meth:`close_contact` (see :class:`.base.Storage`)."""
        if contact_id is not None:
            if outcome is None or at is None:
                raise TypeError("close(contact_id) needs outcome= and at=")
            return await self.close_contact(
                contact_id, outcome=outcome, at=at, actor_user_id=actor_user_id
            )
        if outcome is not None or at is not None or actor_user_id is not None:
            raise TypeError("close() without contact_id shuts the storage down")
        await self._shutdown()
        return None

    # -- units and queues -------------------------------------------------

    async def add_unit(self, unit: Unit, queues: Sequence[Queue]) -> None:
        await self.write(directory.add_unit(unit, tuple(queues)))

    async def get_unit(self, unit_id: str) -> Unit | None:
        return await self.read(directory.get_unit(unit_id))

    async def list_units(self) -> list[Unit]:
        return await self.read(directory.list_units())

    async def list_queues(self, unit_ids: Sequence[str] | None = None) -> list[Queue]:
        units = None if unit_ids is None else tuple(unit_ids)
        return await self.read(directory.list_queues(self.dialect, units))

    async def get_queue(self, queue_id: str) -> Queue | None:
        return await self.read(directory.get_queue(queue_id))

    # -- staff ------------------------------------------------------------

    async def add_user(
        self,
        *,
        username: str,
        display_name: str,
        role: str,
        password_hash: str,
        totp_secret: str | None,
        unit_ids: Sequence[str],
        created_at: float,
        must_change_password: bool = False,
    ) -> User:
        return await self.write(
            directory.add_user(
                self.dialect,
                username=username,
                display_name=display_name,
                role=role,
                password_hash=password_hash,
                totp_secret=totp_secret,
                unit_ids=tuple(unit_ids),
                created_at=created_at,
                must_change_password=must_change_password,
            )
        )

    async def get_user(self, user_id: int) -> User | None:
        return await self.read(directory.get_user(user_id))

    async def get_user_by_username(self, username: str) -> User | None:
        return await self.read(directory.get_user_by_username(username))

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self.write(directory.set_password_hash(user_id, password_hash))

    # -- sessions ---------------------------------------------------------

    async def create_session(self, session: Session) -> None:
        await self.write(directory.create_session(session))

    async def get_session(self, id_hash: str) -> Session | None:
        return await self.read(directory.get_session(id_hash))

    async def touch_session(self, id_hash: str, at: float) -> None:
        await self.write(directory.touch_session(id_hash, at))

    async def delete_session(self, id_hash: str) -> None:
        await self.write(directory.delete_session(id_hash))

    # -- sign-in protection -----------------------------------------------

    async def get_lockout(self, name_key: str) -> LockoutRecord | None:
        return await self.read(login.get_lockout(name_key))

    async def update_lockout(
        self,
        name_key: str,
        change: Callable[[LockoutRecord], tuple[LockoutRecord, T]],
        *,
        now: float,
    ) -> T:
        return await self.write(login.update_lockout(self.dialect, name_key, change, now))

    async def delete_lockout(self, name_key: str) -> None:
        await self.write(login.delete_lockout(name_key))

    async def use_totp_step(
        self, user_id: int, step: int, *, at: float, forget_before: int
    ) -> bool:
        return await self.write(login.use_totp_step(user_id, step, at, forget_before))

    # -- contacts ---------------------------------------------------------

    async def create_contact(self, new: NewContact) -> Contact:
        if new.events:
            new = replace(new, events=tuple((kind, dict(data)) for kind, data in new.events))
        return await self.write(contacts.create(new))

    async def get_contact(self, contact_id: str) -> Contact | None:
        return await self.read(contacts.get(contact_id))

    async def get_contact_by_token_hash(self, token_hash: str) -> Contact | None:
        return await self.read(contacts.get_by_token_hash(token_hash))

    async def acknowledge_emergency(
        self,
        contact_id: str,
        *,
        patient_token_hash: str,
        priority_tier: int,
        priority_key: float,
        at: float,
    ) -> Contact | None:
        return await self.write(
            contacts.acknowledge_emergency(
                contact_id,
                patient_token_hash=patient_token_hash,
                priority_tier=priority_tier,
                priority_key=priority_key,
                at=at,
            )
        )

    async def waiting(self, queue_ids: Sequence[str]) -> list[Contact]:
        return await self.read(contacts.waiting(self.dialect, tuple(queue_ids)))

    async def count_waiting(self, queue_id: str) -> int:
        return await self.read(contacts.count_waiting(queue_id))

    async def queue_position(self, contact_id: str) -> int | None:
        return await self.read(contacts.queue_position(contact_id))

    async def pick(
        self,
        queue_ids: Sequence[str],
        *,
        user_id: int,
        staff_name: str,
        at: float,
        contact_id: str | None = None,
    ) -> Contact | None:
        return await self.write(
            contacts.pick(
                self.dialect,
                tuple(queue_ids),
                user_id=user_id,
                staff_name=staff_name,
                at=at,
                contact_id=contact_id,
            )
        )

    async def transfer(
        self,
        contact_id: str,
        *,
        queue_id: str,
        priority_tier: int,
        priority_key: float,
        at: float,
        actor_user_id: int | None,
        note: str | None,
    ) -> Contact | None:
        return await self.write(
            contacts.transfer(
                self.dialect,
                contact_id,
                queue_id=queue_id,
                priority_tier=priority_tier,
                priority_key=priority_key,
                at=at,
                actor_user_id=actor_user_id,
                note=note,
            )
        )

    async def requeue(
        self,
        contact_id: str,
        *,
        priority_tier: int,
        priority_key: float,
        at: float,
        reason: str,
    ) -> Contact | None:
        return await self.write(
            contacts.requeue(
                self.dialect,
                contact_id,
                priority_tier=priority_tier,
                priority_key=priority_key,
                at=at,
                reason=reason,
            )
        )

    async def set_level(
        self,
        contact_id: str,
        *,
        level: str,
        tags: Sequence[str],
        priority_key: float | None,
        at: float,
        actor_user_id: int | None,
        reason: str,
        added_reasons: Sequence[Mapping[str, Any]] = (),
    ) -> Contact | None:
        return await self.write(
            contacts.set_level(
                self.dialect,
                contact_id,
                level=level,
                tags=tuple(tags),
                priority_key=priority_key,
                at=at,
                actor_user_id=actor_user_id,
                reason=reason,
                added_reasons=tuple(dict(r) for r in added_reasons),
            )
        )

    async def close_contact(
        self,
        contact_id: str,
        *,
        outcome: str,
        at: float,
        actor_user_id: int | None,
        seen_seq: int | None = None,
    ) -> Contact | None:
        return await self.write(
            contacts.close(
                self.dialect,
                contact_id,
                outcome=outcome,
                at=at,
                actor_user_id=actor_user_id,
                seen_seq=seen_seq,
            )
        )

    async def assigned_to(self, user_id: int) -> list[Contact]:
        return await self.read(contacts.assigned_to(user_id))

    async def recent_pick_times(self, queue_id: str, since: float) -> list[float]:
        return await self.read(contacts.recent_pick_times(self.dialect, queue_id, since))

    async def add_event(
        self,
        contact_id: str,
        *,
        kind: str,
        at: float,
        actor_user_id: int | None,
        data: Mapping[str, Any],
    ) -> None:
        await self.write(
            contacts.add_event(
                contact_id, kind=kind, at=at, actor_user_id=actor_user_id, data=dict(data)
            )
        )

    async def events(self, contact_id: str) -> list[ContactEvent]:
        return await self.read(contacts.events(contact_id))

    async def handover_events(self, contact_ids: Sequence[str]) -> list[HandoverEvent]:
        return await self.read(handover.handover_events(self.dialect, list(contact_ids)))

    # -- messages ---------------------------------------------------------

    async def messages_after(
        self, contact_id: str, after_seq: int, limit: int | None = None
    ) -> list[Message]:
        return await self.read(messages.messages_after(contact_id, after_seq, limit))


def _conforms(store: PlannedStorage) -> Storage:
    """Never called: makes mypy check that every engine implements Storage."""
    return store
