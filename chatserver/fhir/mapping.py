"""One contact as FHIR R4 resources (pure: plain dicts in, plain dicts out).

- ``Patient``: the verified personnummer as an identifier
  (:data:`PERSONNUMMER_SYSTEM`) when the patient signed in, else only the name
  the patient gave;
- ``Organization``: the care unit (the encounter's ``serviceProvider``, the
  sender of system messages);
- ``Practitioner``: each staff member who took part, with the HSA-id
  (:data:`HSA_ID_SYSTEM`) when the account has one;
- ``Encounter``: class ``VR`` (virtual), status from the contact's status,
  ``period``, the triage level as ``priority`` and the outcome as an extension
  (local code systems, docs/protocol.md "FHIR export");
- ``Communication``: one per message, in ``seq`` order.

Ids are UUIDv5 of what the resource stands for (a contact, a message, a staff
account, a unit), so the same data always gives the same ids, and a staff
member is one ``Practitioner`` across a whole bulk export. Ids never derive
from a personnummer (a hash of one would be reversible by trying them all).

A :class:`Refs` decides how resources point at each other: ``urn:uuid:`` full
URLs inside a Bundle, ``Type/id`` in the bulk NDJSON files.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatserver.core.lifecycle import ContactStatus
from chatserver.storage.base import Contact, Unit

__all__ = [
    "ACT_CODE_SYSTEM",
    "CODE_SYSTEM_BASE",
    "HSA_ID_SYSTEM",
    "OUTCOME_EXTENSION",
    "OUTCOME_SYSTEM",
    "PERSONNUMMER_SYSTEM",
    "TRIAGE_LEVEL_SYSTEM",
    "UNIT_ID_SYSTEM",
    "ContactRecord",
    "ExportMessage",
    "Refs",
    "StaffMember",
    "bundle",
    "bundle_refs",
    "contact_resources",
    "resource_refs",
]

PERSONNUMMER_SYSTEM = "http://electronichealth.se/identifier/personnummer"
HSA_ID_SYSTEM = "urn:oid:1.2.752.29.4.19"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
# The service's own code systems and extension (documented in docs/protocol.md).
CODE_SYSTEM_BASE = "https://halsocentralchatt.se/fhir"
TRIAGE_LEVEL_SYSTEM = f"{CODE_SYSTEM_BASE}/CodeSystem/triage-level"
OUTCOME_SYSTEM = f"{CODE_SYSTEM_BASE}/CodeSystem/chat-outcome"
OUTCOME_EXTENSION = f"{CODE_SYSTEM_BASE}/StructureDefinition/chat-outcome"
UNIT_ID_SYSTEM = f"{CODE_SYSTEM_BASE}/NamingSystem/unit-id"

# The namespace of every resource id (a fixed random UUID: never change it, or
# a record system that imported earlier exports sees new resources).
_NAMESPACE = uuid.UUID("0d6f3c3e-4f0b-4c55-9a7e-5b1f6f2a9c11")

# Triage levels: the local code, its display, and the closest HL7 ActPriority.
_LEVELS: Mapping[str, tuple[str, str]] = {
    "emergency": ("Akut (112)", "EM"),
    "urgent": ("Brådskande", "UR"),
    "standard": ("Normal", "R"),
    "non_urgent": ("Ej brådskande", "EL"),
}
_OUTCOMES: Mapping[str, str] = {
    "resolved_in_chat": "Löst i chatten",
    "physical_visit_booked": "Fysiskt besök bokat",
    "video_visit_booked": "Videobesök bokat",
    "phone_callback": "Återuppringning",
    "referred_emergency": "Hänvisad till akuten",
    "referred_other_unit": "Hänvisad till annan enhet",
    "patient_left": "Patienten lämnade",
    "no_response": "Inget svar",
}
# R4 Encounter.status (http://hl7.org/fhir/R4/valueset-encounter-status.html):
# a queued contact has been triaged; an assigned one is in progress.
_STATUS: Mapping[str, str] = {
    ContactStatus.EMERGENCY_ADVISED: "triaged",
    ContactStatus.QUEUED: "triaged",
    ContactStatus.ASSIGNED: "in-progress",
    ContactStatus.CLOSED: "finished",
}


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A staff account as a Practitioner."""

    id: int
    display_name: str
    hsa_id: str | None = None


@dataclass(frozen=True, slots=True)
class ExportMessage:
    """One message of the transcript. ``user_id``: the staff author (None for
    patient and system messages). ``attachment``: the photo's metadata
    (``id``, ``content_type``, ``bytes``, ``sha256``, ``width``, ``height``) and,
    when the bytes were read, ``sha1`` (raw digest) for ``Attachment.hash``."""

    seq: int
    sender: str  # patient | staff | system
    sender_name: str
    body: str
    sent_at: float
    user_id: int | None = None
    attachment: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """Everything one contact's export needs, as read."""

    contact: Contact
    unit: Unit
    messages: Sequence[ExportMessage]
    staff: Mapping[int, StaffMember]  # by user id: every author and actor found
    actors: Sequence[int]  # staff who picked, transferred, closed (contact events)
    personnummer: str | None = None  # 12 digits, verified at sign-in
    verified_name: str | None = None
    base_url: str = ""  # CHATSERVER_PUBLIC_URL or empty: attachment URLs


@dataclass(frozen=True, slots=True)
class Refs:
    """How one resource points at another: ``ref(type, id)``."""

    ref: Callable[[str, str], str]


def bundle_refs() -> Refs:
    """Inside a Bundle: the entry's ``urn:uuid:`` full URL."""
    return Refs(lambda _type, rid: f"urn:uuid:{rid}")


def resource_refs() -> Refs:
    """Bulk NDJSON: ``Type/id`` (each file holds one type)."""
    return Refs(lambda rtype, rid: f"{rtype}/{rid}")


def resource_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def instant(ts: float) -> str:
    """FHIR ``instant``/``dateTime``: UTC with milliseconds."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _patient(rec: ContactRecord) -> dict[str, Any]:
    c = rec.contact
    out: dict[str, Any] = {"resourceType": "Patient", "id": resource_id("patient", c.id)}
    if rec.personnummer:
        out["identifier"] = [{"system": PERSONNUMMER_SYSTEM, "value": rec.personnummer}]
        out["name"] = [{"use": "official", "text": rec.verified_name or c.name}]
    elif c.name:
        # Anonymous: only the name the patient gave, as given.
        out["name"] = [{"use": "usual", "text": c.name}]
    return out


def _organization(unit: Unit) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": resource_id("organization", unit.id),
        "identifier": [{"system": UNIT_ID_SYSTEM, "value": unit.id}],
        "name": unit.name,
    }


def _practitioner(member: StaffMember) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": resource_id("practitioner", str(member.id)),
    }
    if member.hsa_id:
        out["identifier"] = [{"system": HSA_ID_SYSTEM, "value": member.hsa_id}]
    out["name"] = [{"text": member.display_name}]
    return out


def _participants(rec: ContactRecord) -> list[StaffMember]:
    """Staff who took part: acted on the contact or wrote in it, by user id.
    An author whose account is gone keeps the name the message was sent with."""
    found: dict[int, StaffMember] = {}
    ids = [*rec.actors, *(m.user_id for m in rec.messages if m.user_id is not None)]
    if rec.contact.assigned_user_id is not None:
        ids.append(rec.contact.assigned_user_id)
    names = {m.user_id: m.sender_name for m in rec.messages if m.user_id is not None}
    for uid in ids:
        if uid not in found:
            found[uid] = rec.staff.get(uid) or StaffMember(uid, names.get(uid, ""))
    return [found[uid] for uid in sorted(found)]


def _coding(system: str, code: str, display: str | None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _encounter(rec: ContactRecord, staff: Sequence[StaffMember], refs: Refs) -> dict[str, Any]:
    c = rec.contact
    period: dict[str, str] = {"start": instant(c.created_at)}
    if c.closed_at is not None:
        period["end"] = instant(c.closed_at)
    out: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": resource_id("encounter", c.id),
        "identifier": [{"system": f"{CODE_SYSTEM_BASE}/NamingSystem/contact-id", "value": c.id}],
        "status": _STATUS.get(c.status, "unknown"),
        "class": {"system": ACT_CODE_SYSTEM, "code": "VR", "display": "virtual"},
    }
    level = _LEVELS.get(c.level)
    priority = [_coding(TRIAGE_LEVEL_SYSTEM, c.level, level[0] if level else None)]
    if level:
        priority.append(_coding(ACT_PRIORITY_SYSTEM, level[1], None))
    out["priority"] = {"coding": priority}
    out["subject"] = {"reference": refs.ref("Patient", resource_id("patient", c.id))}
    if staff:
        out["participant"] = [
            {
                "individual": {
                    "reference": refs.ref("Practitioner", resource_id("practitioner", str(s.id)))
                }
            }
            for s in staff
        ]
    out["period"] = period
    out["serviceProvider"] = {
        "reference": refs.ref("Organization", resource_id("organization", c.unit_id))
    }
    if c.outcome:
        coding = _coding(OUTCOME_SYSTEM, c.outcome, _OUTCOMES.get(c.outcome))
        out["extension"] = [{"url": OUTCOME_EXTENSION, "valueCoding": coding}]
    return out


def _attachment(meta: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """R4 ``Attachment``: a link to the authenticated bytes, never the bytes.
    ``hash`` is base64 SHA-1 as R4 defines it, so only when the SHA-1 is known."""
    out: dict[str, Any] = {
        "contentType": str(meta["content_type"]),
        "url": f"{base_url}/api/attachments/{meta['id']}",
        "size": int(meta["bytes"]),
    }
    sha1 = meta.get("sha1")
    if isinstance(sha1, bytes):
        out["hash"] = base64.b64encode(sha1).decode()
    return out


def _communication(rec: ContactRecord, m: ExportMessage, refs: Refs) -> dict[str, Any]:
    c = rec.contact
    if m.sender == "patient":
        sender = refs.ref("Patient", resource_id("patient", c.id))
    elif m.sender == "staff" and m.user_id is not None:
        sender = refs.ref("Practitioner", resource_id("practitioner", str(m.user_id)))
    else:  # the service itself, on the unit's behalf
        sender = refs.ref("Organization", resource_id("organization", c.unit_id))
    payload: list[dict[str, Any]] = []
    if m.body:
        payload.append({"contentString": m.body})
    if m.attachment is not None:
        payload.append({"contentAttachment": _attachment(m.attachment, rec.base_url)})
    out: dict[str, Any] = {
        "resourceType": "Communication",
        "id": resource_id("communication", f"{c.id}:{m.seq}"),
        "status": "completed",
        "subject": {"reference": refs.ref("Patient", resource_id("patient", c.id))},
        "encounter": {"reference": refs.ref("Encounter", resource_id("encounter", c.id))},
        "sent": instant(m.sent_at),
        "sender": {"reference": sender},
    }
    if payload:
        out["payload"] = payload
    return out


def contact_resources(rec: ContactRecord, refs: Refs) -> list[dict[str, Any]]:
    """Patient, Organization, Practitioners, Encounter, then the Communications
    in ``seq`` order."""
    staff = _participants(rec)
    messages = sorted(rec.messages, key=lambda m: m.seq)
    return [
        _patient(rec),
        _organization(rec.unit),
        *(_practitioner(s) for s in staff),
        _encounter(rec, staff, refs),
        *(_communication(rec, m, refs) for m in messages),
    ]


def bundle(rec: ContactRecord, at: float) -> dict[str, Any]:
    """A ``collection`` Bundle of one contact; every reference is an entry's
    ``fullUrl``. ``at``: the Bundle's ``timestamp`` (when it was assembled)."""
    resources = contact_resources(rec, bundle_refs())
    return {
        "resourceType": "Bundle",
        "id": resource_id("bundle", rec.contact.id),
        "type": "collection",
        "timestamp": instant(at),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }
