"""CSV tables, SVG charts, the per-contact export, satisfaction and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from chatserver.cli.commands import main
from chatserver.settings import Settings
from tests.helpers import Seed, login
from tests.stats.fixtures import load, write

SPRING = "unit=hc1&from=2026-03-23&to=2026-04-05"


def test_table_csv(stats_client: TestClient, seed: Seed) -> None:
    """Each dashboard table downloads as CSV with the same numbers as the API."""
    login(stats_client, seed["manager1"])
    r = stats_client.get(f"/api/stats/tables/outcomes.csv?{SPRING}")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="outcomes.csv"'
    assert r.text.splitlines() == [
        "outcome,contacts",
        "resolved_in_chat,2",
        "physical_visit_booked,2",
        "video_visit_booked,0",
        "phone_callback,0",
        "referred_emergency,1",
        "referred_other_unit,0",
        "patient_left,1",
        "no_response,0",
        "open,0",
    ]
    r = stats_client.get(f"/api/stats/tables/channel_shift.csv?{SPRING}")
    # No visit counts imported: no share (an empty cell), not 100 %.
    assert r.text.splitlines()[1:] == ["2026-03-23,3,1,1,0,0,0,", "2026-03-30,3,1,1,0,0,0,"]
    assert stats_client.get(f"/api/stats/tables/nope.csv?{SPRING}").status_code == 404


def test_tables_json_lists_every_table(stats_client: TestClient, seed: Seed) -> None:
    """/api/stats/tables returns the eight dashboard tables in order."""
    login(stats_client, seed["admin1"])
    r = stats_client.get(f"/api/stats/tables?{SPRING}")
    assert [t["name"] for t in r.json()["tables"]] == [
        "channel_shift",
        "summary",
        "durations",
        "outcomes",
        "triage_levels",
        "triage_overrides",
        "busiest_hours",
        "concurrency",
    ]


def test_chart_svg(stats_client: TestClient, seed: Seed) -> None:
    """Charts are SVG with a title and a description naming the numbers."""
    login(stats_client, seed["manager1"])
    r = stats_client.get(f"/api/stats/charts/shifted.svg?{SPRING}")
    assert r.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert '<desc id="chart-shifted-desc">2 staplar / bars. 03-23: 1, 03-30: 1</desc>' in r.text
    assert stats_client.get(f"/api/stats/charts/pie.svg?{SPRING}").status_code == 404
    assert (
        stats_client.get(
            "/api/stats/charts/shifted.svg?unit=hc2&from=2026-03-23&to=2026-04-05"
        ).status_code
        == 403
    )


def test_contact_export(stats_client: TestClient, seed: Seed) -> None:
    """One row per contact, without names or texts, in CSV and JSON."""
    login(stats_client, seed["manager1"])
    r = stats_client.get(f"/api/stats/export/contacts.json?{SPRING}")
    rows = r.json()["contacts"]
    assert len(rows) == 6
    assert rows[0] == {
        "unit_id": "hc1",
        "queue_id": "hc1:nurse",
        "local_date": "2026-03-28",
        "local_hour": 23,
        "weekday": "sat",
        "status": "closed",
        "outcome": "resolved_in_chat",
        "intake_level": "standard",
        "level": "standard",
        "would_otherwise": "physical_visit",
        "emergency_acknowledged": 0,
        "waiting_s": 120,
        "first_reply_s": 150,
        "handling_s": 7200,
        "abandoned": 0,
        "resolved_in_chat": 1,
        "shifted_from_physical": 1,
    }
    csv_text = stats_client.get(f"/api/stats/export/contacts.csv?{SPRING}").text
    assert len(csv_text.splitlines()) == 7
    assert "Namn" not in csv_text
    assert "Text" not in csv_text
    assert stats_client.get(f"/api/stats/export/contacts.xml?{SPRING}").status_code == 404


def test_satisfaction_from_survey_answers(
    stats_client: TestClient, seed: Seed, settings: Settings
) -> None:
    """Mean rating and response rate over chats closed in the period (survey table)."""
    write(settings, load([], {}, [("c1", "hc1", 5), ("c2", "hc1", 4)]))
    login(stats_client, seed["manager1"])
    body = stats_client.get(f"/api/stats/operations?{SPRING}").json()
    assert body["satisfaction"] == {
        "responses": 2,
        "eligible": 5,
        "mean_rating": 4.5,
        "response_rate": 0.4,
    }


def test_satisfaction_ignores_answers_of_chats_not_eligible(
    stats_client: TestClient, seed: Seed, settings: Settings
) -> None:
    """Answers of a never-queued chat and of another unit's chat are not counted."""
    answers = [("c1", "hc1", 5), ("c2", "hc1", 2), ("c3", "hc1", 1), ("c7", "hc2", 1)]
    write(settings, load([], {}, answers))
    login(stats_client, seed["manager1"])
    body = stats_client.get(f"/api/stats/operations?{SPRING}").json()
    assert body["satisfaction"] == {
        "responses": 2,
        "eligible": 5,
        "mean_rating": 3.5,
        "response_rate": 0.4,
    }


def test_stats_units_lists_own_units(stats_client: TestClient, seed: Seed) -> None:
    """Managers see their own units in the filter; admins every unit."""
    login(stats_client, seed["manager1"])
    units = stats_client.get("/api/stats/units").json()["units"]
    assert [(u["id"], [q["id"] for q in u["queues"]]) for u in units] == [
        ("hc1", ["hc1:doctor", "hc1:nurse"])
    ]


def test_cli_export_json_and_csv(
    stats_client: TestClient, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`chatserver stats export` prints the same figures as the API."""
    data_dir = str(settings.data_dir)
    args = [
        "stats",
        "export",
        "--data-dir",
        data_dir,
        "--from",
        "2026-03-23",
        "--to",
        "2026-04-05",
        "--unit",
        "hc1",
    ]
    assert main([*args, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [b["chat_contacts"] for b in out["channel_shift"]] == [3, 3]
    assert out["operations"]["waiting_to_pick"] == {
        "count": 4,
        "median_s": 60,
        "p90_s": 300,
        "mean_s": 127.5,
    }
    assert main([*args, "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert (
        "# durations\r\nfigure,count,median_s,p90_s,mean_s\r\nwaiting_to_pick,4,60,300,127.5\r\n"
        in text
    )
    assert (
        main(
            [
                "stats",
                "export",
                "--data-dir",
                data_dir,
                "--from",
                "2026-04-05",
                "--to",
                "2026-03-23",
            ]
        )
        == 2
    )
    assert main([*args[:-1], "zz"]) == 1


def test_cli_rejects_unknown_unit_message(
    stats_client: TestClient, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown --unit is named on stderr with exit status 1."""
    rc = main(
        [
            "stats",
            "export",
            "--data-dir",
            str(settings.data_dir),
            "--from",
            "2026-03-23",
            "--to",
            "2026-03-24",
            "--unit",
            "zz",
        ]
    )
    assert (rc, capsys.readouterr().err) == (1, "error: unknown unit zz\n")
    if settings.database_url is None:  # it opened the configured database
        assert Path(settings.sqlite_path).exists()


def test_chart_language(stats_client: TestClient, seed: Seed) -> None:
    """lang=en gives English titles and labels; other languages are 422."""
    login(stats_client, seed["manager1"])
    sv = stats_client.get(f"/api/stats/charts/outcomes.svg?{SPRING}").text
    en = stats_client.get(f"/api/stats/charts/outcomes.svg?{SPRING}&lang=en").text
    assert '<title id="chart-outcomes-title">Utfall</title>' in sv
    assert "Löst i chatt: 2" in sv
    assert "Resolved in chat: 2" in en
    assert stats_client.get(f"/api/stats/charts/outcomes.svg?{SPRING}&lang=de").status_code == 422


def test_manager_page_is_served_with_strict_csp(stats_client: TestClient) -> None:
    """/manager is the dashboard page, under the no-inline CSP, with no inline script or style."""
    r = stats_client.get("/manager")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert '<script type="module" src="/static/manager/app.js"></script>' in r.text
    assert "<style" not in r.text
    assert "style=" not in r.text
    assert stats_client.get("/static/manager/app.js").status_code == 200


def test_without_unit_a_manager_gets_own_units(stats_client: TestClient, seed: Seed) -> None:
    """Leaving out unit= covers the caller's own units only (hc1 for manager1)."""
    login(stats_client, seed["manager1"])
    body = stats_client.get("/api/stats/operations?from=2026-03-23&to=2026-04-05").json()
    assert (body["units"], body["contacts"]) == (["hc1"], 6)
