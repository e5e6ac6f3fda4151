"""Feature: FHIR R4 export of contacts (PROTOCOL.md "FHIR export").

- :mod:`.mapping`: one contact as Patient, Organization, Practitioner,
  Encounter and Communication resources (pure);
- :mod:`.store`, :mod:`.collect`: what it reads;
- :mod:`.http`: ``GET /api/contacts/{contact_id}/fhir`` (a Bundle);
- :mod:`.bulk`, :mod:`.cli`: ``chatserver export fhir`` (NDJSON files).
"""

from __future__ import annotations

from .cli import register
from .http import FHIR_EXPORT, routes

__all__ = ["FHIR_EXPORT", "register", "routes"]
