"""Read one contact's export (the I/O shell around :mod:`.mapping`)."""

from __future__ import annotations

from chatserver.hooks import ContactIdentities
from chatserver.storage.base import Contact, Storage, Unit

from .mapping import ContactRecord
from .store import FhirStore

__all__ = ["contact_record"]


async def contact_record(
    storage: Storage, identities: ContactIdentities, contact: Contact, base_url: str
) -> ContactRecord:
    """Everything :func:`~chatserver.fhir.mapping.contact_resources` needs for
    ``contact``: its unit, transcript, the staff who took part and, when the
    patient signed in, the verified person (the caller audits the export)."""
    store = FhirStore(storage)
    messages = await store.messages(contact.id)
    events = await storage.events(contact.id)
    actors = [e.actor_user_id for e in events if e.actor_user_id is not None]
    authors = [m.user_id for m in messages if m.user_id is not None]
    assigned = [contact.assigned_user_id] if contact.assigned_user_id is not None else []
    staff = await store.staff([*actors, *authors, *assigned])
    unit = await storage.get_unit(contact.unit_id) or Unit(
        contact.unit_id, contact.unit_id, always_open=False, rollout="live", created_at=0.0
    )
    person = (await identities.verified([contact.id])).get(contact.id)
    return ContactRecord(
        contact=contact,
        unit=unit,
        messages=messages,
        staff=staff,
        actors=actors,
        personnummer=person.personnummer if person else None,
        verified_name=person.name if person else None,
        base_url=base_url.rstrip("/"),
    )
