"""The storage interface every backend implements (SQLite and PostgreSQL).

Records are frozen dataclasses; the backend owns SQL and nothing else. Every
state change is a *conditional* write (``WHERE status = ...``) so that two
callers, two instances or a crash in between can never both win: the method
returns ``None`` (or raises :class:`Conflict`) when the precondition no longer
holds, and the service maps that to the documented error.

Time stamps are UTC seconds since the epoch (``float``), passed in by the caller
so that tests can control the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, overload

from .health import WriteHealth
from .plan import Database

_T = TypeVar("_T")


class StorageError(Exception):
    """Base class of storage failures that are not the caller's fault."""


class StorageUnavailable(StorageError):
    """The database cannot take the write right now: disk full, an I/O error,
    locked for longer than the busy timeout, PostgreSQL restarting, shut down
    or unreachable. Nothing was written; the same operation may succeed when
    retried later (the service answers ``storage_unavailable``, retryable)."""


class Conflict(Exception):
    """A precondition of a conditional write no longer holds (e.g. already picked)."""


class NotFound(Exception):
    """The referenced row does not exist."""


class NotAssigned(Conflict):
    """A staff message for a contact not (or no longer) assigned to its sender."""


class UnseenMessages(Conflict):
    """A close naming the last seq its staff member saw finds a newer patient message."""

    def __init__(self, newest_seq: int) -> None:
        super().__init__(f"patient messages up to seq {newest_seq} not seen")
        self.newest_seq = newest_seq


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    name: str
    always_open: bool
    rollout: str  # 'live' | 'pilot'
    created_at: float
    # Patient identification: 'optional' | 'required'; None = the global
    # CHATSERVER_PATIENT_IDENTIFICATION (migration 0012, docs/identity.md).
    identification: str | None = None


@dataclass(frozen=True, slots=True)
class Queue:
    id: str  # '<unit_id>:<competence>'
    unit_id: str
    competence: str
    name: str
    max_waiting: int | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: str  # nurse | doctor | manager | admin
    password_hash: str
    totp_secret: str | None
    disabled: bool
    created_at: float
    unit_ids: tuple[str, ...] = ()
    # The next sign-in may only change the password (migration 0013).
    must_change_password: bool = False
    # A sealed TOTP secret being self-enrolled, not yet confirmed.
    totp_pending: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    id_hash: str
    user_id: int
    csrf_token: str
    created_at: float
    last_seen_at: float
    # 'password' or 'siths' (an OpenID Connect sign-in, chatserver/identity).
    method: str = "password"


@dataclass(frozen=True, slots=True)
class LockoutRecord:
    """Failed sign-ins of one account name (chatserver/security/lockout.py
    decides; storage only keeps it). The defaults are a name without history."""

    failures: tuple[float, ...] = ()  # times of the failures within the window
    lockouts: int = 0  # lockouts since the last success (the back-off doubles)
    locked_until: float = 0.0
    last_failure: float = 0.0
    expires_at: float = 0.0  # after this the record means nothing and may be deleted


@dataclass(frozen=True, slots=True)
class NewContact:
    """What intake hands to storage. ``status`` is 'queued' or 'emergency_advised'."""

    id: str
    unit_id: str
    queue_id: str
    status: str
    level: str
    tags: tuple[str, ...]
    reasons: tuple[Mapping[str, Any], ...]
    red_flag: bool
    emergency_acknowledged: bool
    lang: str
    age: int
    name: str
    text: str
    would_otherwise: str
    patient_token_hash: str | None
    created_at: float
    priority_tier: int
    priority_key: float | None
    # Contact events recorded with the intake, in its transaction, after its own
    # ``intake`` event (the screen's answers, a model raise, follow-ups asked):
    # (kind, data), at ``created_at``, no actor. One commit, not one per event.
    events: tuple[tuple[str, Mapping[str, Any]], ...] = ()


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    unit_id: str
    queue_id: str
    status: str  # emergency_advised | queued | assigned | closed
    level: str
    intake_level: str
    tags: tuple[str, ...]
    reasons: tuple[Mapping[str, Any], ...]
    red_flag: bool
    emergency_acknowledged: bool
    lang: str
    age: int
    name: str
    text: str
    would_otherwise: str
    created_at: float
    queued_at: float | None
    priority_tier: int
    priority_key: float | None
    assigned_user_id: int | None
    assigned_name: str | None
    assigned_at: float | None
    first_picked_at: float | None
    first_staff_reply_at: float | None
    closed_at: float | None
    outcome: str | None
    last_seq: int


@dataclass(frozen=True, slots=True)
class NewMessage:
    contact_id: str
    sender: str  # patient | staff | system
    sender_key: str  # 'p:<contact_id>' | 's:<user_id>' | 'sys'
    sender_name: str
    client_id: str
    body: str
    sent_at: float
    # Staff messages: the contact must be assigned to this user at commit time
    # (checked inside the write, so no separate read is needed on the hot path).
    require_assigned_user: int | None = None
    # A photo (chatserver/attachments): its metadata, :data:`ATTACHMENT_KEYS`.
    attachment: Mapping[str, Any] | None = None
    # A staff message asking the patient for a photo (docs/protocol.md).
    photo_request: bool = False


# The metadata of a photo on a message, as stored and as read back (the
# transcript and FHIR exports read these keys from Message.attachment).
ATTACHMENT_KEYS = ("id", "content_type", "bytes", "sha256", "width", "height")


@dataclass(frozen=True, slots=True)
class Message:
    contact_id: str
    seq: int
    sender: str
    sender_name: str
    client_id: str
    body: str
    sent_at: float
    # {"id", "content_type", "bytes", "sha256", "width", "height"} or None.
    attachment: Mapping[str, Any] | None = None
    photo_request: bool = False


@dataclass(frozen=True, slots=True)
class AppendResult:
    """``duplicate`` is True when (sender_key, client_id) was already stored:
    ``message`` is then the original, and nothing new was written."""

    message: Message
    duplicate: bool
    # The contact's state at commit, for routing the message without a read.
    # None when a backend does not report it (callers then read the contact).
    status: str | None = None
    assigned_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class ContactEvent:
    id: int
    contact_id: str
    at: float
    kind: str
    actor_user_id: int | None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HandoverEvent:
    """A contact event that travels with the contact (a note, a transfer, the
    screen's answers), with its author's display name (None: the patient or
    the service, or a user since deleted)."""

    contact_id: str
    kind: str
    at: float
    author: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


class Storage(Database, Protocol):
    """Async storage. Implementations: :mod:`chatserver.storage.sqlite`,
    :mod:`chatserver.storage.postgres` (both through :mod:`.planned`).

    It is also the :class:`~.plan.Database` port on which a feature runs its
    own plans (``dialect``, ``read``, ``write``)."""

    # -- life cycle -------------------------------------------------------
    async def open(self) -> None:
        """Connect and apply pending numbered migrations."""

    # ``close`` has two meanings, told apart by its arguments (see the
    # overloads): ``close()`` shuts the storage down; ``close(contact_id, ...)``
    # closes one contact. ``close_contact`` is the unambiguous spelling of the latter.
    @overload
    async def close(self) -> None:
        """Flush pending writes and close every connection."""

    @overload
    async def close(
        self,
        contact_id: str,
        *,
        outcome: str,
        at: float,
        actor_user_id: int | None,
    ) -> Contact | None:
        """Any open status → closed. None if already closed or unknown."""

    async def erase_freed(self, tables: Sequence[str]) -> bool:
        """After a purge: make the old contents of ``tables`` (constants) unreadable
        from the database's own files. SQLite: checkpoint the WAL into the main
        file (``secure_delete`` zeroes the old content there) and truncate it.
        PostgreSQL: ``VACUUM`` the tables outside a transaction. False when it
        could not be done now (a reader held the WAL, VACUUM failed); logged."""

    async def ping(self) -> bool:
        """True when a trivial read succeeds (for /readyz)."""

    @property
    def write_health(self) -> WriteHealth:
        """Whether writes currently succeed (:mod:`.health`, for /readyz)."""

    async def probe_write(self) -> None:
        """A cheap real write, to find out whether writes work again; raises
        :class:`StorageUnavailable` when they do not."""

    # -- units and queues -------------------------------------------------
    async def add_unit(self, unit: Unit, queues: Sequence[Queue]) -> None:
        """Create a unit with its queues. Raises Conflict if the id exists."""

    async def get_unit(self, unit_id: str) -> Unit | None: ...

    async def list_units(self) -> list[Unit]: ...

    async def list_queues(self, unit_ids: Sequence[str] | None = None) -> list[Queue]:
        """Queues of the given units (all when None), ordered by id."""

    async def get_queue(self, queue_id: str) -> Queue | None: ...

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
        """Create a user. Raises Conflict if the username exists (in any case),
        NotFound for an unknown unit."""

    async def get_user(self, user_id: int) -> User | None: ...

    async def get_user_by_username(self, username: str) -> User | None: ...

    async def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    # -- sessions ---------------------------------------------------------
    async def create_session(self, session: Session) -> None: ...

    async def get_session(self, id_hash: str) -> Session | None: ...

    async def touch_session(self, id_hash: str, at: float) -> None: ...

    async def delete_session(self, id_hash: str) -> None: ...

    # -- sign-in protection (shared by every instance on the database) -----
    async def get_lockout(self, name_key: str) -> LockoutRecord | None:
        """The failure record of an account name key; None when it has none."""

    async def update_lockout(
        self,
        name_key: str,
        change: Callable[[LockoutRecord], tuple[LockoutRecord, _T]],
        *,
        now: float,
    ) -> _T:
        """Atomically read the record (``LockoutRecord()`` when none), store the
        first element of ``change(record)`` and return the second: concurrent
        failures on any instance each count once. ``change`` must be pure (it runs
        inside the write). Also deletes records whose ``expires_at`` is before ``now``."""

    async def delete_lockout(self, name_key: str) -> None: ...

    async def use_totp_step(
        self, user_id: int, step: int, *, at: float, forget_before: int
    ) -> bool:
        """Record that the user's code of TOTP time step ``step`` signed in. False
        when this step or a later one already did. One atomic INSERT: of concurrent
        calls with the same step, on any instance, exactly one gets True. Deletes
        the user's steps older than ``forget_before``."""

    # -- contacts ---------------------------------------------------------
    async def create_contact(self, new: NewContact) -> Contact:
        """Insert a contact; ``queued_at`` = ``created_at`` when status is 'queued'."""

    async def get_contact(self, contact_id: str) -> Contact | None: ...

    async def get_contact_by_token_hash(self, token_hash: str) -> Contact | None: ...

    async def acknowledge_emergency(
        self,
        contact_id: str,
        *,
        patient_token_hash: str,
        priority_tier: int,
        priority_key: float,
        at: float,
    ) -> Contact | None:
        """emergency_advised → queued (first in line, red flag). None if not in that state."""

    async def waiting(self, queue_ids: Sequence[str]) -> list[Contact]:
        """Queued contacts of these queues in waiting-room order
        (priority_tier, priority_key, created_at, id); a NULL priority_key sorts
        last within its tier (PostgreSQL's default for ascending order)."""

    async def count_waiting(self, queue_id: str) -> int: ...

    async def queue_position(self, contact_id: str) -> int | None:
        """1-based place of a queued contact in its queue's waiting-room order,
        counted in the database (no scan of the whole queue); None if not queued."""

    async def pick(
        self,
        queue_ids: Sequence[str],
        *,
        user_id: int,
        staff_name: str,
        at: float,
        contact_id: str | None = None,
    ) -> Contact | None:
        """Atomically assign the first waiting contact of ``queue_ids`` (or exactly
        ``contact_id`` if given and still waiting in one of them) to the user.
        Records a 'pick' contact event. None when nothing matched."""

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
        """queued|assigned → queued in ``queue_id`` (unassigned). Records a
        'transfer' event with from/to queue and note. None if closed or unknown."""

    async def requeue(
        self,
        contact_id: str,
        *,
        priority_tier: int,
        priority_key: float,
        at: float,
        reason: str,
    ) -> Contact | None:
        """assigned → queued in the same queue (e.g. staff vanished). None otherwise."""

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
        """Change the current triage level (records a 'triage_change' event).
        ``priority_key`` None keeps the current key; ``added_reasons`` are appended
        to the stored triage reasons (what raised the level, for staff who pick the
        contact later). None if closed or unknown."""

    async def close_contact(
        self,
        contact_id: str,
        *,
        outcome: str,
        at: float,
        actor_user_id: int | None,
        seen_seq: int | None = None,
    ) -> Contact | None:
        """Any open status → closed. None if already closed or unknown.

        With ``seen_seq`` (the last seq the closing staff member saw): raises
        :class:`UnseenMessages`, writing nothing, when the contact has a patient
        message with a higher seq (checked under the contact's row lock, so a
        message stored before the close is seen, one after it is refused)."""

    async def assigned_to(self, user_id: int) -> list[Contact]:
        """Contacts currently assigned to the user, oldest assignment first."""

    async def recent_pick_times(self, queue_id: str, since: float) -> list[float]:
        """Times of 'pick' events for contacts picked from this queue since ``since``."""

    async def add_event(
        self,
        contact_id: str,
        *,
        kind: str,
        at: float,
        actor_user_id: int | None,
        data: Mapping[str, Any],
    ) -> None: ...

    async def events(self, contact_id: str) -> list[ContactEvent]: ...

    async def handover_events(self, contact_ids: Sequence[str]) -> list[HandoverEvent]:
        """Notes, transfers and screen answers of ``contact_ids`` (one read),
        oldest first per contact, with the author's display name."""
        ...

    # -- messages ---------------------------------------------------------
    async def append_message(self, new: NewMessage) -> AppendResult:
        """Store a message with the next gapless ``seq`` of its contact and return
        only after COMMIT. Re-sending the same (sender_key, client_id) returns the
        original with ``duplicate=True``. Raises Conflict when the contact is closed,
        NotAssigned when ``require_assigned_user`` is set and the contact is not
        assigned to that user, NotFound when it does not exist. Concurrent calls are
        group-committed."""

    async def messages_after(
        self, contact_id: str, after_seq: int, limit: int | None = None
    ) -> list[Message]:
        """Messages with seq > after_seq, in seq order."""
