"""Regression floors on the challenge sets (tests/triage/challenge*.jsonl) and the visible set.

The challenge sets were written blind, from the clinical criteria, each committed before
it was first run (see docs/triage.md for their first-run figures, the honest measure of
generalisation). The rules were then corrected by criterion, so the figures below are
floors against regressions, not estimates of performance on unseen text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.api import assess, assess_rules
from triage.evaluate import Report, evaluate, load_cases
from triage.model import Level

HERE = Path(__file__).parent
VISIBLE = Path("/work/shared/triage-cases/visible.jsonl")


def hard_negative_emergencies(path: Path) -> list[str]:
    """Ids of the cases annotated `hard negative` that the rules assess as emergency."""
    raised = []
    for line in path.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if "[hard negative" in case["source"]:
            result = assess_rules(case["text"], case["age"], case["lang"])
            if result.level is Level.EMERGENCY:
                raised.append(case["id"])
    return raised


def report_for(path: Path) -> Report:
    """Evaluation figures of the rules alone on the cases in `path`."""
    return evaluate(load_cases(path), assess_rules)


def combined_report_for(path: Path) -> Report:
    """Evaluation figures of the service's engine (rules, then the safety net)."""
    return evaluate(load_cases(path), assess)


# The combined engine on every set: (file, over-triage to emergency ceiling, exact floor),
# from the figures of safety-net 1.0.0 (docs/triage.md). Escalate-only, so emergency
# sensitivity can only be what the rules give (100 % on these sets) or more.
COMBINED = [
    ("challenge.jsonl", 0.07, 0.93),
    ("challenge2.jsonl", 0.05, 0.95),
    ("challenge3.jsonl", 0.03, 0.95),
    ("challenge4.jsonl", 0.09, 0.94),
    ("challenge5.jsonl", 0.03, 0.98),
    ("challenge6.jsonl", 0.04, 0.92),
]


@pytest.mark.parametrize(("name", "over_ceiling", "exact_floor"), COMBINED)
def test_combined_engine_floors(name: str, over_ceiling: float, exact_floor: float) -> None:
    """Rules plus safety net: every emergency caught, over-triage to emergency bounded."""
    report = combined_report_for(HERE / name)
    assert report.emergency_sensitivity == 1.0
    assert report.over_triage_to_emergency <= over_ceiling
    assert report.exact_agreement >= exact_floor


@pytest.mark.parametrize(
    ("name", "total"), [("blind_fresh.jsonl", 242), ("blind_second.jsonl", 203)]
)
def test_fresh_blind_sets_first_run_floors(name: str, total: int) -> None:
    """The two fresh blind sets were committed before their first run (the first before
    the first training run); the targets of issue 13, met at first run (docs/triage.md),
    are floors: emergency sensitivity ≥ 95 %, over-triage to emergency ≤ 10 %, exact
    level ≥ 80 %."""
    report = combined_report_for(HERE / name)
    assert report.total == total
    assert report.emergency_sensitivity >= 0.95
    assert report.over_triage_to_emergency <= 0.10
    assert report.exact_agreement >= 0.80


@pytest.mark.parametrize(
    ("name", "cases", "exact_floor", "tag_recall_floor", "tag_precision_floor"),
    [
        ("challenge.jsonl", 166, 0.98, 0.90, 0.82),
        ("challenge2.jsonl", 67, 1.00, 0.90, 0.87),
        ("challenge3.jsonl", 65, 0.96, 0.95, 0.91),
        ("challenge4.jsonl", 51, 1.00, 0.96, 0.86),
        ("challenge5.jsonl", 62, 0.96, 0.93, 0.83),
    ],
)
def test_challenge_set_floors(
    name: str, cases: int, exact_floor: float, tag_recall_floor: float, tag_precision_floor: float
) -> None:
    """Every emergency is caught, no hard negative becomes an emergency, and level
    agreement and tag recall/precision stay at or above the figures the rules reach."""
    path = HERE / name
    report = report_for(path)
    assert report.total == cases
    assert report.emergency_sensitivity == 1.0
    assert hard_negative_emergencies(path) == []
    assert report.exact_agreement >= exact_floor
    assert report.tag_recall >= tag_recall_floor
    assert report.tag_precision >= tag_precision_floor


def test_challenge_sets_are_well_formed() -> None:
    """Ids are unique across the sets, levels valid, `child` set exactly under 18, and
    every case cites a criterion and a public URL."""
    ids: list[str] = []
    for path in sorted(HERE.glob("challenge*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            ids.append(case["id"])
            assert case["id"].startswith("tc-")
            assert Level(case["expected_level"]) in Level
            assert ("child" in case["expected_tags"]) == (case["age"] < 18)
            assert " | http" in case["source"]
    assert len(ids) == len(set(ids)) == 451


def test_challenge6_floors() -> None:
    """challenge6's first run (11 of 15 emergencies) was the held-out estimate; its four
    misses then named the general gaps fixed in ruleset 1.3.0, so it is no longer held
    out and its current figures are floors: 15 of 15, no hard negative as emergency."""
    path = HERE / "challenge6.jsonl"
    report = report_for(path)
    assert report.total == 40
    assert report.emergency_sensitivity == 1.0
    assert report.over_triage_to_emergency == 0.0
    assert hard_negative_emergencies(path) == []
    assert report.exact_agreement >= 0.95
    assert report.tag_recall >= 0.94
    assert report.tag_precision >= 0.85


@pytest.mark.skipif(not VISIBLE.exists(), reason="shared triage cases not mounted")
def test_visible_set_floors() -> None:
    """The visible set keeps 30/30 emergencies, no over-triage to emergency and ≥ 98 %
    level agreement while the rules are generalised."""
    report = report_for(VISIBLE)
    assert report.emergency_sensitivity == 1.0
    assert report.over_triage_to_emergency == 0.0
    assert report.exact_agreement >= 0.98
    assert hard_negative_emergencies(VISIBLE) == []
    combined = combined_report_for(VISIBLE)
    assert combined.emergency_sensitivity == 1.0
    assert combined.over_triage_to_emergency <= 0.04
    assert combined.exact_agreement >= 0.97
