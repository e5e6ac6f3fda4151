"""Unit tests of the load generator's pure parts: HDR summary, hub routing, report."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from loadtests.baseline_hub import RelayHub
from loadtests.hdr import LatencyRecorder
from loadtests.report import kept_sections, write_report
from loadtests.results import Figure, ScenarioResult
from loadtests.scenarios.fanout import waiting_count


def test_recorder_summarises_in_milliseconds() -> None:
    """Values recorded in seconds come back as millisecond percentiles."""
    rec = LatencyRecorder()
    for _ in range(99):
        rec.record(0.001)
    rec.record(0.5)
    s = rec.summary()
    assert (s.count, round(s.p50_ms), round(s.p99_ms), round(s.max_ms)) == (100, 1, 1, 500)


def test_hub_acks_sender_and_relays_to_peer_only() -> None:
    """A message is acked to its sender and delivered to the other side with seq 1."""
    hub: RelayHub[str] = RelayHub()
    hub.hello("p", {"type": "hello", "token": "t"})
    hub.hello("s", {"type": "hello", "token": "t", "side": "staff"})
    out = hub.frame("p", {"type": "message", "client_id": "c1", "body": "hej"})
    frames = [(conn, orjson.loads(text)) for conn, text in out]
    assert [(c, f["type"], f["seq"]) for c, f in frames] == [("p", "ack", 1), ("s", "message", 1)]


def test_hub_pushes_waiting_count_to_watchers() -> None:
    """Arrivals push the new waiting count to every watcher."""
    hub: RelayHub[str] = RelayHub()
    hub.hello("w", {"type": "hello", "side": "watcher"})
    ((conn, text),) = hub.frame("f", {"type": "arrive"})
    assert (conn, waiting_count(orjson.loads(text))) == ("w", 1)


def test_figure_ratio_against_baseline() -> None:
    """A figure's ratio is the service value over the baseline value."""
    f = Figure("x", "msg/s", {"service": 50.0, "websockets": 200.0})
    assert f.ratio("websockets") == 0.25


def test_report_lists_figures_and_verdicts(tmp_path: Path) -> None:
    """The report has the machine, a row per figure and its PASS/MISS verdict."""
    (tmp_path / "machine.json").write_text(
        json.dumps(
            {
                "date": "2030-01-01",
                "cpu_model": "Test CPU",
                "cores": 2,
                "python": "3.11.7",
                "kernel": "6",
            }
        )
    )
    result = ScenarioResult("churn", {})
    result.figures.append(
        Figure(
            "connects",
            "connects/s",
            {"service": 1200.0, "websockets": 2400.0},
            goal="≥ 1,000/s",
            passed=True,
        )
    )
    result.save(tmp_path)
    text = write_report(tmp_path, tmp_path / "bench.md").read_text()
    assert "Test CPU, 2 cores" in text
    row = "| churn | connects (connects/s) | 1,200 | 2,400 | — | 0.50× | — | ≥ 1,000/s | **PASS** |"
    assert row in text


def test_report_keeps_other_benchmarks_sections() -> None:
    """Rewriting docs/benchmarks.md keeps the statistics and cross-instance sections."""
    text = (
        "# B\n\n## Figures\nx\n## Statistics queries\na\nb\n## Method\nm\n"
        "## Cross-instance delivery\nc\n"
    )
    assert kept_sections(text) == ["## Statistics queries\na\nb", "## Cross-instance delivery\nc"]
