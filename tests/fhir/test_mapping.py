"""The pure mapping of one contact to FHIR R4 resources (chatserver/fhir/mapping.py)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import Any

import pytest
from pydantic import ValidationError

from chatserver.fhir.mapping import (
    ACT_CODE_SYSTEM,
    HSA_ID_SYSTEM,
    OUTCOME_EXTENSION,
    OUTCOME_SYSTEM,
    PERSONNUMMER_SYSTEM,
    TRIAGE_LEVEL_SYSTEM,
    ContactRecord,
    ExportMessage,
    StaffMember,
    bundle,
    contact_resources,
    resource_refs,
)
from chatserver.storage.base import Contact, Unit
from tests.fhir.validate import assert_bundle_resolves, assert_ndjson_resolves, by_type, parse

T0 = 1_796_200_000.0  # 2026-12-02T08:26:40Z
PHOTO = b"\xff\xd8not really a jpeg\xff\xd9"


def contact(**changes: Any) -> Contact:
    base = Contact(
        id="c1",
        unit_id="hc1",
        queue_id="hc1:nurse",
        status="closed",
        level="urgent",
        intake_level="standard",
        tags=("throat",),
        reasons=(),
        red_flag=False,
        emergency_acknowledged=False,
        lang="sv",
        age=40,
        name="Petra Patient",
        text="Ont i halsen",
        would_otherwise="physical_visit",
        created_at=T0,
        queued_at=T0,
        priority_tier=1,
        priority_key=T0,
        assigned_user_id=7,
        assigned_name="Nina Nurse",
        assigned_at=T0 + 60,
        first_picked_at=T0 + 60,
        first_staff_reply_at=T0 + 90,
        closed_at=T0 + 600,
        outcome="physical_visit_booked",
        last_seq=4,
    )
    return dataclasses.replace(base, **changes)


def record(**changes: Any) -> ContactRecord:
    photo = {
        "id": "ph1",
        "content_type": "image/jpeg",
        "bytes": len(PHOTO),
        "sha256": hashlib.sha256(PHOTO).hexdigest(),
        "width": 640,
        "height": 480,
        "sha1": hashlib.sha1(PHOTO).digest(),
    }
    base = ContactRecord(
        contact=contact(),
        unit=Unit("hc1", "Hälsocentralen Ett", always_open=True, rollout="live", created_at=0),
        messages=[
            # Deliberately out of order: Communications come out in seq order.
            ExportMessage(2, "staff", "Nina Nurse", "Hej, hur länge?", T0 + 90, user_id=7),
            ExportMessage(1, "patient", "Petra Patient", "Hej", T0 + 70),
            ExportMessage(3, "patient", "Petra Patient", "", T0 + 120, attachment=photo),
            ExportMessage(4, "system", "", "Chatten är avslutad", T0 + 600),
        ],
        staff={7: StaffMember(7, "Nina Nurse", "SE2321000016-1003"), 9: StaffMember(9, "Doris")},
        actors=[9, 7],
        personnummer="198112189876",
        verified_name="Anna Andersson",
        base_url="https://chat.example.se",
    )
    return dataclasses.replace(base, **changes)


def resources(b: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in b["entry"]]


def test_bundle_is_a_valid_r4_collection_whose_references_resolve() -> None:
    """Every entry parses as its R4(B) model and every reference is an entry's fullUrl."""
    b = bundle(record(), T0 + 700)
    assert (b["resourceType"], b["type"], b["timestamp"]) == (
        "Bundle",
        "collection",
        "2026-12-02T08:38:20.000Z",
    )
    assert_bundle_resolves(b)
    kinds = [r["resourceType"] for r in resources(b)]
    assert kinds == [
        "Patient",
        "Organization",
        "Practitioner",
        "Practitioner",
        "Encounter",
        *["Communication"] * 4,
    ]


def test_identified_patient_carries_the_personnummer_system() -> None:
    """The verified personnummer is the Patient's identifier, the verified name its name."""
    (patient,) = by_type(resources(bundle(record(), T0)), "Patient")
    assert patient["identifier"] == [{"system": PERSONNUMMER_SYSTEM, "value": "198112189876"}]
    assert patient["name"] == [{"use": "official", "text": "Anna Andersson"}]


def test_anonymous_patient_has_no_identifier_only_the_given_name() -> None:
    """Without a sign-in: no identifier, the name as the patient gave it."""
    (patient,) = by_type(resources(bundle(record(personnummer=None), T0)), "Patient")
    assert "identifier" not in patient
    assert patient["name"] == [{"use": "usual", "text": "Petra Patient"}]
    unnamed = record(personnummer=None, contact=contact(name=""))
    (patient,) = by_type(resources(bundle(unnamed, T0)), "Patient")
    assert set(patient) == {"resourceType", "id"}


def test_practitioners_with_and_without_hsa_id() -> None:
    """One Practitioner per staff member who took part; the HSA-id system when known."""
    found = by_type(resources(bundle(record(), T0)), "Practitioner")
    assert [p["name"] for p in found] == [[{"text": "Nina Nurse"}], [{"text": "Doris"}]]
    assert found[0]["identifier"] == [{"system": HSA_ID_SYSTEM, "value": "SE2321000016-1003"}]
    assert "identifier" not in found[1]


def test_author_without_account_keeps_the_name_written_with() -> None:
    """A staff author missing from the accounts read is still a Practitioner."""
    found = by_type(resources(bundle(record(staff={}, actors=[]), T0)), "Practitioner")
    assert [p["name"] for p in found] == [[{"text": "Nina Nurse"}]]


def test_encounter_class_status_period_priority_and_outcome() -> None:
    """VR class, finished with both period ends, triage level and outcome coded."""
    b = bundle(record(), T0)
    (enc,) = by_type(resources(b), "Encounter")
    assert enc["class"] == {"system": ACT_CODE_SYSTEM, "code": "VR", "display": "virtual"}
    assert enc["status"] == "finished"
    assert enc["period"] == {"start": "2026-12-02T08:26:40.000Z", "end": "2026-12-02T08:36:40.000Z"}
    assert enc["priority"]["coding"][0] == {
        "system": TRIAGE_LEVEL_SYSTEM,
        "code": "urgent",
        "display": "Brådskande",
    }
    assert enc["priority"]["coding"][1]["code"] == "UR"
    assert enc["extension"] == [
        {
            "url": OUTCOME_EXTENSION,
            "valueCoding": {
                "system": OUTCOME_SYSTEM,
                "code": "physical_visit_booked",
                "display": "Fysiskt besök bokat",
            },
        }
    ]
    assert len(enc["participant"]) == 2


def test_encounter_status_follows_the_contact() -> None:
    """queued and emergency_advised → triaged, assigned → in-progress; no end while open."""
    for status, expected in [
        ("queued", "triaged"),
        ("emergency_advised", "triaged"),
        ("assigned", "in-progress"),
    ]:
        rec = record(contact=contact(status=status, closed_at=None, outcome=None))
        b = bundle(rec, T0)
        assert_bundle_resolves(b)
        (enc,) = by_type(resources(b), "Encounter")
        assert (enc["status"], "end" in enc["period"], "extension" in enc) == (
            expected,
            False,
            False,
        )


def test_communications_in_seq_order_with_senders() -> None:
    """seq order; patient → Patient, staff → Practitioner, system → the unit."""
    b = bundle(record(), T0)
    by_url = {e["resource"]["id"]: e["resource"]["resourceType"] for e in b["entry"]}
    comms = by_type(resources(b), "Communication")
    senders = [by_url[c["sender"]["reference"].removeprefix("urn:uuid:")] for c in comms]
    assert senders == ["Patient", "Practitioner", "Patient", "Organization"]
    assert [c["payload"][0].get("contentString") for c in comms] == [
        "Hej",
        "Hej, hur länge?",
        None,
        "Chatten är avslutad",
    ]
    assert [c["sent"] for c in comms][:2] == [
        "2026-12-02T08:27:50.000Z",
        "2026-12-02T08:28:10.000Z",
    ]
    assert all(c["status"] == "completed" for c in comms)


def test_attachment_is_a_link_with_size_and_sha1_hash() -> None:
    """A photo: contentType, size, base64 SHA-1 hash, absolute authenticated URL, no bytes."""
    comms = by_type(resources(bundle(record(), T0)), "Communication")
    assert comms[2]["payload"] == [
        {
            "contentAttachment": {
                "contentType": "image/jpeg",
                "url": "https://chat.example.se/api/attachments/ph1",
                "size": len(PHOTO),
                "hash": base64.b64encode(hashlib.sha1(PHOTO).digest()).decode(),
            }
        }
    ]


def test_attachment_without_bytes_has_no_hash_and_a_relative_url() -> None:
    """Purged bytes: no SHA-1, so no hash; no public URL: a path on this service."""
    meta = {"id": "ph2", "content_type": "image/png", "bytes": 10, "sha256": "00" * 32}
    msg = ExportMessage(1, "staff", "Nina Nurse", "Se bild", T0, user_id=7, attachment=meta)
    b = bundle(record(messages=[msg], base_url=""), T0)
    assert_bundle_resolves(b)
    (comm,) = by_type(resources(b), "Communication")
    assert comm["payload"] == [
        {"contentString": "Se bild"},
        {
            "contentAttachment": {
                "contentType": "image/png",
                "url": "/api/attachments/ph2",
                "size": 10,
            }
        },
    ]


def test_ids_are_deterministic_and_practitioners_shared_across_contacts() -> None:
    """The same data gives the same ids; a staff member has one id across contacts."""
    one = bundle(record(), T0)
    assert bundle(record(), T0 + 5)["entry"] == one["entry"]
    other = bundle(record(contact=contact(id="c2")), T0)
    ids_one = {r["resourceType"]: r["id"] for r in resources(one)}
    ids_other = {r["resourceType"]: r["id"] for r in resources(other)}
    assert ids_one["Practitioner"] == ids_other["Practitioner"]
    assert ids_one["Organization"] == ids_other["Organization"]
    assert ids_one["Patient"] != ids_other["Patient"]
    assert ids_one["Encounter"] != ids_other["Encounter"]


def test_ids_never_derive_from_the_personnummer() -> None:
    """Two people on the same contact id get the same Patient id (keyed by contact)."""
    a = by_type(resources(bundle(record(), T0)), "Patient")[0]["id"]
    b = by_type(resources(bundle(record(personnummer="199001011234"), T0)), "Patient")[0]["id"]
    assert a == b


def test_bulk_references_are_type_slash_id() -> None:
    """NDJSON resources point at each other as Type/id, which all resolve."""
    out = contact_resources(record(), resource_refs())
    assert_ndjson_resolves(out)
    (enc,) = by_type(out, "Encounter")
    assert enc["subject"]["reference"] == f"Patient/{out[0]['id']}"


def test_unknown_level_is_coded_without_display() -> None:
    """A level the mapping has no display for is still coded (local system only)."""
    (enc,) = by_type(resources(bundle(record(contact=contact(level="odd")), T0)), "Encounter")
    assert enc["priority"] == {"coding": [{"system": TRIAGE_LEVEL_SYSTEM, "code": "odd"}]}


def test_the_validator_refuses_what_r4_refuses() -> None:
    """The checks used here fail on an unknown element, a missing class, a bad status."""
    bad: list[dict[str, Any]] = [
        {"resourceType": "Patient", "bogus": 1},
        {"resourceType": "Encounter", "status": "finished"},
        {"resourceType": "Encounter", "status": "done", "class": {"code": "VR"}},
    ]
    for resource in bad:
        with pytest.raises((ValidationError, AssertionError)):
            parse(resource)
