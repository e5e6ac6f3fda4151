"""The command line (check, evaluate, bench) and the evaluation figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from triage.__main__ import main
from triage.api import assess
from triage.bench import run_bench
from triage.evaluate import Report, evaluate, format_report, load_cases

VISIBLE = Path("/work/shared/triage-cases/visible.jsonl")


def write_cases(path: Path, cases: list[dict[str, object]]) -> Path:
    """Write cases as JSONL (with a blank line, which the loader skips)."""
    path.write_text("\n".join(json.dumps(c) for c in cases) + "\n\n", encoding="utf-8")
    return path


@pytest.mark.skipif(not VISIBLE.exists(), reason="shared triage cases not mounted")
def test_visible_set_thresholds() -> None:
    """On the visible set: emergency sensitivity 100%, over-triage ≤ 10%, agreement ≥ 85%,
    tag recall ≥ 80%."""
    report = evaluate(load_cases(VISIBLE), assess)
    assert report.emergency_sensitivity == 1.0
    assert report.over_triage_to_emergency <= 0.10
    assert report.exact_agreement >= 0.85
    assert report.tag_recall >= 0.80


def test_evaluate_figures_and_report(tmp_path: Path) -> None:
    """The report counts misses, over-/under-triage and per-tag scores."""
    cases = [
        {"id": "a", "lang": "sv", "age": 50, "text": "hosta", "expected_level": "emergency",
         "expected_tags": ["respiratory"]},
        {"id": "b", "age": 50, "text": "ont i bröstet och kallsvettig",
         "expected_level": "standard", "expected_tags": ["skin"]},
        {"id": "c", "age": 50, "text": "förnya recept", "expected_level": "non_urgent"},
    ]  # fmt: skip
    report = evaluate(load_cases(write_cases(tmp_path / "c.jsonl", cases)), assess)
    assert report.emergency_sensitivity == 0.0
    assert report.over_triage_to_emergency == 0.5
    assert report.under_triage == 1
    assert report.over_triage == 1
    text = format_report(report)
    assert "a: expected emergency, got standard (S03-cough)" in text
    assert "skin" in text
    assert "medication" in text


def test_empty_report() -> None:
    """An empty report has neutral figures rather than dividing by zero."""
    report = Report()
    assert report.emergency_sensitivity == 1.0
    assert report.over_triage_to_emergency == 0.0
    assert report.exact_agreement == 0.0
    assert report.tag_precision == 1.0
    assert report.tag_recall == 1.0
    assert "cases: 0" in format_report(report)


def test_cli_check(capsys: pytest.CaptureFixture[str], rules_dir: Callable[..., Path]) -> None:
    """`check` exits 0 on valid rules and 1 with a problem list on broken ones."""
    assert main(["check"]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["check", "--rules", str(rules_dir("rule = 3\n"))]) == 1
    assert "must be an array of tables" in capsys.readouterr().err


def test_cli_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`evaluate` exits non-zero when an emergency is missed."""
    good = write_cases(
        tmp_path / "good.jsonl",
        [{"id": "x", "age": 30, "text": "Får knappt luft", "expected_level": "emergency"}],
    )
    bad = write_cases(
        tmp_path / "bad.jsonl",
        [{"id": "y", "age": 30, "text": "hosta", "expected_level": "emergency"}],
    )
    assert main(["evaluate", str(good)]) == 0
    assert "emergency sensitivity:        100.0%" in capsys.readouterr().out
    assert main(["evaluate", str(bad)]) == 1


def test_cli_bench(capsys: pytest.CaptureFixture[str]) -> None:
    """`bench` prints timing figures (not asserted: no timed tests)."""
    assert main(["bench", "--runs", "3"]) == 0
    assert "assess on" in capsys.readouterr().out
    assert run_bench(2).runs == 2
