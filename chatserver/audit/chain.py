"""The hash chain of the audit log (pure: no I/O).

Every event is hashed over a canonical form (sorted-key compact JSON of all its
fields, UTF-8) together with the previous event's hash::

    hash(n) = SHA-256( hash(n-1) || "\\n" || canonical(event n) )
    mac(n)  = HMAC-SHA-256( key, hash(n) )

``seq`` is part of the canonical form, so moving, deleting or inserting an event
in the middle breaks the next link; editing breaks the event's own hash; a
forged event appended at the end has no valid ``mac`` without the key; a cut-off
tail is caught by the signed checkpoint (:mod:`chatserver.audit.checkpoint`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit event as stored (``seq``, hashes and mac filled in by the store)."""

    at: str  # UTC ISO 8601 with microseconds and Z
    action: str
    result: str
    request_id: str
    actor_user_id: int | None = None
    actor_username: str | None = None
    actor_role: str | None = None
    actor_units: str = ""
    unit_id: str | None = None
    contact_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""
    mac: str = ""

    def content(self) -> dict[str, Any]:
        """The hashed fields (everything except the chain fields themselves)."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor_user_id": self.actor_user_id,
            "actor_username": self.actor_username,
            "actor_role": self.actor_role,
            "actor_units": self.actor_units,
            "unit_id": self.unit_id,
            "contact_id": self.contact_id,
            "action": self.action,
            "result": self.result,
            "request_id": self.request_id,
            "detail": dict(self.detail),
        }


def canonical(content: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes for the same content."""
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def canonical_detail(detail: Mapping[str, Any]) -> str:
    return canonical(detail).decode()


def link_hash(prev_hash: str, event: AuditEvent) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(event.content()))
    return digest.hexdigest()


def sign(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("ascii"), hashlib.sha256).hexdigest()


def seal(event: AuditEvent, seq: int, prev_hash: str, key: bytes) -> AuditEvent:
    """The event as the next link after ``prev_hash``."""
    numbered = replace(event, seq=seq, prev_hash=prev_hash)
    h = link_hash(prev_hash, numbered)
    return replace(numbered, hash=h, mac=sign(key, h))


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The signed chain head: ``seq`` events ending in ``hash``."""

    seq: int
    hash: str
    mac: str

    @staticmethod
    def message(seq: int, head: str) -> str:
        return f"audit-checkpoint:{seq}:{head}"

    def valid(self, key: bytes) -> bool:
        expected = sign(key, self.message(self.seq, self.hash))
        return hmac.compare_digest(expected, self.mac)


def make_checkpoint(seq: int, head: str, key: bytes) -> Checkpoint:
    return Checkpoint(seq, head, sign(key, Checkpoint.message(seq, head)))


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of :func:`verify`: ``bad_seq`` is None when intact."""

    count: int
    bad_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_seq is None and not self.reason


class Verifier:
    """Walks the chain in ``seq`` order, one event at a time (constant memory)
    and names the first event that does not hold.

    ``bad_seq`` is the stored seq of the first offending row (for a missing
    event: the row found where it should have been; for a cut-off tail: the
    first event the checkpoint vouches for that is gone).
    """

    def __init__(self, key: bytes, checkpoint: Checkpoint | None) -> None:
        self.key = key
        self.checkpoint = checkpoint
        self.prev = GENESIS_HASH
        self.count = 0
        self.head_at_checkpoint: str | None = None

    def feed(self, ev: AuditEvent) -> Verdict | None:
        """None while intact; the verdict at the first bad event."""
        self.count += 1
        expected_seq = self.count
        if ev.seq != expected_seq:
            return Verdict(self.count, ev.seq, f"expected event {expected_seq}, found {ev.seq}")
        if ev.prev_hash != self.prev:
            return Verdict(self.count, ev.seq, "does not link to the event before it")
        if link_hash(self.prev, ev) != ev.hash:
            return Verdict(self.count, ev.seq, "content does not match its hash (edited)")
        if not hmac.compare_digest(sign(self.key, ev.hash), ev.mac):
            return Verdict(self.count, ev.seq, "signature does not match (forged or wrong key)")
        if self.checkpoint is not None and ev.seq == self.checkpoint.seq:
            self.head_at_checkpoint = ev.hash
        self.prev = ev.hash
        return None

    def finish(self) -> Verdict:
        count, cp = self.count, self.checkpoint
        if cp is None:
            return Verdict(count)
        if not cp.valid(self.key):
            return Verdict(count, None, "the checkpoint's signature does not match")
        if cp.seq > count:
            return Verdict(
                count,
                count + 1,
                f"the log ends at event {count} but the checkpoint vouches for {cp.seq}"
                " (tail cut off)",
            )
        if cp.seq > 0 and self.head_at_checkpoint != cp.hash:
            return Verdict(count, cp.seq, "differs from the signed checkpoint (rewritten)")
        return Verdict(count)


def verify(events: Iterable[AuditEvent], key: bytes, checkpoint: Checkpoint | None) -> Verdict:
    """Verify a whole chain held in memory (see :class:`Verifier`)."""
    verifier = Verifier(key, checkpoint)
    for ev in events:
        bad = verifier.feed(ev)
        if bad is not None:
            return bad
    return verifier.finish()
