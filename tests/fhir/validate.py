"""FHIR checks shared by the export tests: every resource parses with the
``fhir.resources`` R4B models (R4B is R4 for every element the export uses; the
package's R4 models exist only in its pydantic-1 releases) and every reference
resolves within the set it was exported with."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

# Required bindings the models do not check (R4 value sets).
ENCOUNTER_STATUS = {
    "planned", "arrived", "triaged", "in-progress", "onleave",
    "finished", "cancelled", "entered-in-error", "unknown",
}  # fmt: skip
EVENT_STATUS = {
    "preparation", "in-progress", "not-done", "on-hold", "stopped",
    "completed", "entered-in-error", "unknown",
}  # fmt: skip
BUNDLE_TYPES = {
    "document", "message", "transaction", "transaction-response", "batch",
    "batch-response", "history", "searchset", "collection",
}  # fmt: skip


def parse(resource: Mapping[str, Any]) -> Any:
    """The resource as its R4B model (raises on anything the model refuses),
    its required status codes checked against the R4 value sets."""
    model = get_fhir_model_class(str(resource["resourceType"]))
    parsed = model.model_validate(dict(resource))
    rtype = resource["resourceType"]
    if rtype == "Encounter":
        assert resource["status"] in ENCOUNTER_STATUS, resource["status"]
    if rtype == "Communication":
        assert resource["status"] in EVENT_STATUS, resource["status"]
    if rtype == "Bundle":
        assert resource["type"] in BUNDLE_TYPES, resource["type"]
    return parsed


def references(value: Any) -> Iterator[str]:
    """Every ``reference`` string anywhere inside ``value``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def assert_bundle_resolves(bundle: Mapping[str, Any]) -> None:
    """Each entry parses; each reference is the fullUrl of an entry."""
    parse(bundle)
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(full_urls) == len(bundle["entry"])
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        parse(entry["resource"])
        for ref in references(entry["resource"]):
            assert ref in full_urls, ref


def assert_ndjson_resolves(resources: Iterable[Mapping[str, Any]]) -> None:
    """Bulk files: each resource parses; each ``Type/id`` reference exists."""
    listed = list(resources)
    known = {f"{r['resourceType']}/{r['id']}" for r in listed}
    for r in listed:
        parse(r)
        for ref in references(r):
            assert ref in known, ref


def by_type(resources: Iterable[Mapping[str, Any]], rtype: str) -> list[Mapping[str, Any]]:
    return [r for r in resources if r["resourceType"] == rtype]
