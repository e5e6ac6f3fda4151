"""Unit tests of the load generator's pure parts: HDR summary, hub routing, report,
client addresses, process trees."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import orjson

from loadtests.baseline_hub import RelayHub
from loadtests.edge import source_address
from loadtests.hdr import LatencyRecorder
from loadtests.report import kept_sections, write_report
from loadtests.results import Figure, ScenarioResult
from loadtests.scenarios.fanout import waiting_count
from loadtests.scenarios.persistence import merge_runs, pair_ratios
from loadtests.system import descendants


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


def test_report_summary_has_a_row_per_issue_target(tmp_path: Path) -> None:
    """The summary gives each issue-19 target its figure, verdict and load average."""
    result = ScenarioResult("churn", {}, load_average=[1.5, 0.5, 0.25])
    result.figures.append(
        Figure(
            "connects",
            "connects/s",
            {"service": 1200.0, "websockets": 2400.0},
            passed=True,
            key="churn",
        )
    )
    result.save(tmp_path)
    text = write_report(tmp_path, tmp_path / "bench.md").read_text()
    row = (
        "| ≥ 1,000 connects + hello → welcome per second | churn: connects | 1,200 connects/s "
        "| websockets 2,400 (0.50×) | **PASS** | 1.50 / 0.50 / 0.25 |"
    )
    assert row in text
    assert "| ≥ 500 intakes per second | (not measured) | — | — | — | — |" in text
    assert "Load average at the start (1/5/15 min): 1.50 / 0.50 / 0.25" in text


def test_report_names_the_ratio_of_labelled_values(tmp_path: Path) -> None:
    """A figure without targets shows its values by label and the first two's ratio."""
    result = ScenarioResult("persistence", {})
    result.figures.append(
        Figure("stored", "msg/s", {"FULL": 900.0, "OFF": 1000.0}, passed=True, key="persistence")
    )
    result.save(tmp_path)
    text = write_report(tmp_path, tmp_path / "bench.md").read_text()
    assert "| FULL: 900 msg/s | OFF: 1,000 · 0.90× (FULL/OFF) | **PASS** | ? |" in text
    assert "| FULL: 900 / OFF: 1,000 |  |  | 0.90× (FULL/OFF) |" in text


def test_source_addresses_are_distinct_loopback_addresses() -> None:
    """Each simulated client gets its own 127/8 address, never the proxy's 127.0.0.1."""
    addresses = [source_address() for _ in range(70_000)]
    assert len(set(addresses)) == len(addresses)
    octets = [tuple(int(x) for x in a.split(".")) for a in addresses]
    assert all(o[0] == 127 and o[1] >= 2 and 1 <= o[2] <= 254 and 1 <= o[3] <= 254 for o in octets)


def test_descendants_include_children() -> None:
    """A process tree's CPU accounting finds a child of the root."""
    with subprocess.Popen(["sleep", "5"]) as child:
        try:
            assert {os.getpid(), child.pid} <= descendants([os.getpid()])
        finally:
            child.kill()


def test_persistence_merges_runs_of_one_mode() -> None:
    """Runs of one configuration add up: total messages over total time."""
    one, two = LatencyRecorder(), LatencyRecorder()
    one.record(0.001)
    two.record(0.003)
    runs = [
        {"messages": 100, "elapsed_s": 1.0, "synchronous": "FULL", "latency": one},
        {"messages": 300, "elapsed_s": 1.0, "synchronous": "FULL", "latency": two},
    ]
    merged = merge_runs([{**r, "writer_stats": ""} for r in runs])
    assert (merged["messages_per_s"], merged["messages"], merged["runs"]) == (200.0, 400, 2)
    assert (merged["per_run_msg_s"], merged["latency"]["count"]) == ([100.0, 300.0], 2)


def test_persistence_pairs_each_full_run_with_its_neighbour() -> None:
    """FULL/OFF ratios come per adjacent pair; a failed run drops only its pair."""
    full: list[dict[str, Any]] = [{"messages": 80, "elapsed_s": 1.0}, {"error": "x"}]
    full.append({"messages": 90, "elapsed_s": 2.0})
    off: list[dict[str, Any]] = [{"messages": 100, "elapsed_s": 1.0}]
    off.append({"messages": 100, "elapsed_s": 1.0})
    off.append({"messages": 50, "elapsed_s": 1.0})
    assert pair_ratios(full, off) == [0.8, 0.9]
