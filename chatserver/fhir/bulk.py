"""The bulk export's files: FHIR Bulk Data layout (one NDJSON file per resource
type, ``Patient.ndjson``, ``Encounter.ndjson``, ...) and a ``manifest.json``
shaped like the Bulk Data completion response, so a record system finds the
files and their counts in one place (docs/operations.md "FHIR export").

:func:`period` turns the command's dates into UTC instants (days in
Europe/Stockholm, ``to`` included). :class:`BulkFiles` writes each resource
once as it comes; the manifest is written last, so a reader that waits for it
never reads a half-written export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import orjson

from .mapping import instant

__all__ = ["MANIFEST", "RESOURCE_ORDER", "BulkFiles", "DateRangeError", "period"]

# Dates of the export are calendar days where the care units are.
ZONE = ZoneInfo("Europe/Stockholm")
MANIFEST = "manifest.json"
RESOURCE_ORDER = (
    "Patient",
    "Organization",
    "Practitioner",
    "Encounter",
    "Communication",
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateRangeError(ValueError):
    """``--from``/``--to`` are not two dates in order."""


def _day(text: str, name: str) -> date:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise DateRangeError(f"{name} is not a date YYYY-MM-DD") from None


def period(first: str, last: str) -> tuple[float, float]:
    """[start, end) in UTC seconds of the Stockholm days ``first``..``last``."""
    a, b = _day(first, "--from"), _day(last, "--to")
    if b < a:
        raise DateRangeError("--to is before --from")
    if b.year >= 9999:
        raise DateRangeError("--to is out of range")

    def midnight(d: date) -> float:
        return datetime(d.year, d.month, d.day, tzinfo=ZONE).timestamp()

    return midnight(a), midnight(b + timedelta(days=1))


class BulkFiles:
    """Writes resources as they come, each to its type's file and each id once
    (a Practitioner or Organization shared by many contacts is written once), so
    a long period never has to fit in memory; :meth:`finish` writes the manifest."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.seen: dict[str, set[str]] = {}
        self.files: dict[str, BinaryIO] = {}

    def open(self) -> None:
        """Create the directory; remove a previous export's files from it, so
        they cannot pass for this one's."""
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in [MANIFEST, *(f"{t}.ndjson" for t in RESOURCE_ORDER)]:
            (self.out / stale).unlink(missing_ok=True)

    def add(self, resources: Iterable[Mapping[str, Any]]) -> None:
        for r in resources:
            rtype, rid = str(r["resourceType"]), str(r["id"])
            ids = self.seen.setdefault(rtype, set())
            if rid in ids:
                continue
            ids.add(rid)
            f = self.files.get(rtype)
            if f is None:
                f = self.files[rtype] = (self.out / f"{rtype}.ndjson").open("wb")
            f.write(orjson.dumps(r) + b"\n")

    def counts(self) -> dict[str, int]:
        return {t: len(self.seen[t]) for t in self._types()}

    def _types(self) -> list[str]:
        known = [t for t in RESOURCE_ORDER if t in self.seen]
        return known + sorted(set(self.seen) - set(known))

    def close(self) -> None:
        for f in self.files.values():
            f.close()

    def finish(self, request: str, at: float) -> dict[str, Any]:
        """Close the files and write the manifest (last); the manifest as written."""
        self.close()
        output = [{"type": t, "url": f"{t}.ndjson", "count": n} for t, n in self.counts().items()]
        manifest = {
            "transactionTime": instant(at),
            "request": request,
            "requiresAccessToken": False,
            "output": output,
            "error": [],
        }
        path = self.out / MANIFEST
        path.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
        return manifest
