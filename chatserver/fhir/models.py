"""The FHIR Bundle's outline for the OpenAPI document (chatserver/contract):
what a client can rely on without a FHIR library. The resources themselves are
FHIR R4 (docs/protocol.md "FHIR export"), not modelled here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Bundle", "BundleEntry"]


class BundleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fullUrl: str  # noqa: N815 (FHIR's name)
    resource: dict[str, Any]


class Bundle(BaseModel):
    """A FHIR R4 ``Bundle`` of type ``collection``: one contact."""

    model_config = ConfigDict(extra="forbid")

    resourceType: Literal["Bundle"]  # noqa: N815 (FHIR's name)
    id: str
    type: Literal["collection"]
    timestamp: str
    entry: list[BundleEntry]
