"""What staff are shown of an identified patient (pure; the data comes from a hook).

A contact made with a patient session is bound to a person (the ``identity``
feature). The core only knows the shape staff see: :class:`VerifiedIdentity`,
handed to it by ``hooks.identities`` (:class:`chatserver.hooks.ContactIdentities`),
so nothing here reads the identity tables or imports the feature.

Every delivery of a personnummer to staff (the ``assigned`` frame of a pick,
the staff ``welcome``'s ``assigned`` list, ``GET /api/contacts/{id}/identity``)
is one audit event :data:`PERSONNUMMER_READ` naming the staff member, the unit
and the contact, with ``detail.via`` saying which.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

__all__ = [
    "IDENTITY_METHODS",
    "PERSONNUMMER_READ",
    "IdentityMethod",
    "ReadVia",
    "VerifiedIdentity",
    "identity_method",
]

IdentityMethod = Literal["bankid", "freja", "eid"]
IDENTITY_METHODS: frozenset[str] = frozenset({"bankid", "freja", "eid"})

# The audit action of every delivery of a personnummer to staff.
PERSONNUMMER_READ = "personnummer_read"
# Which delivery it was (the audit event's ``detail.via``).
ReadVia = Literal["pick", "welcome", "identity"]


def identity_method(stored: str | None) -> IdentityMethod:
    """The method staff see: ``bankid``, ``freja``, or ``eid`` for any other or
    unknown value (e.g. ``oidc``, a broker that did not say which)."""
    if stored == "bankid":
        return "bankid"
    if stored == "freja":
        return "freja"
    return "eid"


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """The person a contact is bound to, as staff see it.

    ``personnummer`` is the 12-digit form ``YYYYMMDDNNNN``; None when it is
    withheld (its delivery could not be audited). ``age`` is computed from the
    personnummer on the day it was read (it replaces the self-reported age).
    """

    contact_id: str
    method: IdentityMethod
    personnummer: str | None = field(repr=False)
    name: str = field(repr=False)
    age: int

    def withheld(self) -> VerifiedIdentity:
        """The same without the personnummer (its read could not be audited)."""
        return replace(self, personnummer=None)
