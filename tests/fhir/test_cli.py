"""``chatserver export fhir``: NDJSON files per resource type (Bulk Data
layout) for the contacts created on the given Stockholm days, each line a
valid R4 resource whose references resolve; audited; bad input refused."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from chatserver.app import open_storage
from chatserver.cli.commands import main
from chatserver.fhir.bulk import period
from chatserver.identity.personnummer import parse
from chatserver.identity.store import IdentityStore
from chatserver.settings import Settings
from tests.fhir.validate import assert_ndjson_resolves
from tests.helpers import Seed
from tests.storage.factories import new_contact, patient_message, staff_message


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# Stockholm is UTC+1 in December: 23:30Z on the 1st is 00:30 on the 2nd there.
CONTACTS = {
    "before": ("hc1", ts("2026-12-01T22:59:00")),  # 23:59 on the 1st: outside
    "first": ("hc1", ts("2026-12-01T23:30:00")),  # 00:30 on the 2nd: inside
    "other-unit": ("hc2", ts("2026-12-02T10:00:00")),
    "last": ("hc1", ts("2026-12-03T22:00:00")),  # 23:00 on the 3rd: inside
    "after": ("hc1", ts("2026-12-03T23:00:00")),  # 00:00 on the 4th: outside
}


async def _contacts(settings: Settings, seed: Seed) -> None:
    storage = open_storage(settings)
    await storage.open()
    nurse = await storage.get_user(seed["nurse1"].id)
    assert nurse is not None
    try:
        for cid, (unit, at) in CONTACTS.items():
            await storage.create_contact(
                new_contact(cid, unit_id=unit, queue_id=f"{unit}:nurse", created_at=at)
            )
            await storage.append_message(patient_message(cid, "p1", f"hej från {cid}", at + 1))
        await storage.append_message(
            staff_message("first", nurse, "s1", "Hej Patient", ts("2026-12-02T00:00:00"))
        )
        await storage.append_message(
            staff_message("last", nurse, "s1", "Hej igen", ts("2026-12-03T22:01:00"))
        )
        await IdentityStore(storage).bind("first", parse("198112189876"), "Anna", "bankid", 0.0)
    finally:
        await storage.close()


def _read(out: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        p.stem: [orjson.loads(line) for line in p.read_bytes().splitlines()]
        for p in sorted(out.glob("*.ndjson"))
    }


def _audit(settings: Settings) -> list[tuple[str, str]]:
    with sqlite3.connect(settings.sqlite_path) as db:
        rows = db.execute(
            "SELECT result, detail FROM audit_events WHERE action = 'fhir_export' ORDER BY seq"
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


def test_export_writes_valid_ndjson_per_type(
    settings: Settings, seed: Seed, tmp_path: Path
) -> None:
    """One file per type, each line parses, references resolve, Stockholm days
    bound the range, one Practitioner for the nurse across contacts; a manifest."""
    asyncio.run(_contacts(settings, seed))
    out = tmp_path / "export"
    dd = ["--data-dir", str(settings.data_dir)]
    argv = [*dd, "export", "fhir", "--from", "2026-12-02", "--to", "2026-12-03", "--out", str(out)]
    assert main(argv) == 0
    files = _read(out)
    assert sorted(files) == [
        "Communication",
        "Encounter",
        "Organization",
        "Patient",
        "Practitioner",
    ]
    assert_ndjson_resolves([r for rs in files.values() for r in rs])
    encounters = files["Encounter"]
    assert [e["identifier"][0]["value"] for e in encounters] == ["first", "other-unit", "last"]
    assert len(files["Patient"]) == 3
    assert len(files["Organization"]) == 2
    assert [p["name"][0]["text"] for p in files["Practitioner"]] == ["Nina Nurse"]
    identified = [p for p in files["Patient"] if "identifier" in p]
    assert [p["identifier"][0]["value"] for p in identified] == ["198112189876"]
    assert len(files["Communication"]) == 5
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["output"] == [
        {"type": "Patient", "url": "Patient.ndjson", "count": 3},
        {"type": "Organization", "url": "Organization.ndjson", "count": 2},
        {"type": "Practitioner", "url": "Practitioner.ndjson", "count": 1},
        {"type": "Encounter", "url": "Encounter.ndjson", "count": 3},
        {"type": "Communication", "url": "Communication.ndjson", "count": 5},
    ]
    assert manifest["request"] == "export fhir --from 2026-12-02 --to 2026-12-03"
    assert [(r, orjson.loads(d)) for r, d in _audit(settings)] == [
        ("ok", {"via": "cli", "from": "2026-12-02", "to": "2026-12-03", "units": "all"})
    ]

    # One unit, into the same directory: the earlier files do not linger.
    argv = [*dd, "export", "fhir", "--from", "2026-12-02", "--to", "2026-12-02"]
    assert main([*argv, "--unit", "hc2", "--out", str(out)]) == 0
    files = _read(out)
    assert [e["identifier"][0]["value"] for e in files["Encounter"]] == ["other-unit"]
    assert "Practitioner" not in files
    # No contacts at all: only the manifest.
    assert (
        main(
            [*dd, "export", "fhir", "--from", "2020-01-01", "--to", "2020-01-01", "--out", str(out)]
        )
        == 0
    )
    assert (_read(out), orjson.loads((out / "manifest.json").read_bytes())["output"]) == ({}, [])


@pytest.mark.parametrize(
    ("dates", "unit", "code", "message"),
    [
        (("2026-12-03", "2026-12-02"), [], 2, "--to is before --from"),
        (("2026-13-01", "2026-12-02"), [], 2, "--from is not a date YYYY-MM-DD"),
        (("20261201", "2026-12-02"), [], 2, "--from is not a date YYYY-MM-DD"),
        (("2026-12-01", "9999-12-31"), [], 2, "--to is out of range"),
        (("2026-12-01", "2026-12-02"), ["--unit", "nope"], 1, "unknown unit nope"),
    ],
)
def test_bad_input_is_refused(
    settings: Settings,
    seed: Seed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    dates: tuple[str, str],
    unit: list[str],
    code: int,
    message: str,
) -> None:
    """Bad dates exit 2, an unknown unit 1; nothing is written or audited."""
    out = tmp_path / "export"
    argv = ["--data-dir", str(settings.data_dir), "export", "fhir", "--from", dates[0]]
    assert main([*argv, "--to", dates[1], *unit, "--out", str(out)]) == code
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not out.exists()
    assert _audit(settings) == []


def test_period_is_stockholm_days() -> None:
    """Winter (UTC+1) and summer (UTC+2) midnights; ``to`` included."""
    assert period("2026-12-02", "2026-12-02") == (
        ts("2026-12-01T23:00:00"),
        ts("2026-12-02T23:00:00"),
    )
    assert period("2026-06-01", "2026-06-30") == (
        ts("2026-05-31T22:00:00"),
        ts("2026-06-30T22:00:00"),
    )


def test_export_that_cannot_be_audited_is_refused(
    settings: Settings,
    seed: Seed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No usable audit key: exit 1, nothing read or written."""
    monkeypatch.setenv("CHATSERVER_AUDIT_KEY", "short")
    out = tmp_path / "export"
    argv = ["--data-dir", str(settings.data_dir), "export", "fhir", "--from", "2026-12-01"]
    assert main([*argv, "--to", "2026-12-02", "--out", str(out)]) == 1
    assert capsys.readouterr().err.startswith("error: refused, it cannot be audited: ")
    assert not out.exists()
