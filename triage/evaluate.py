"""Scoring the engine against labelled cases (the triage-cases JSONL format).

Figures, as in the triage-cases README:
- emergency sensitivity: share of `emergency` cases assessed as `emergency` (must be 1.0);
- over-triage to emergency: share of non-emergency cases assessed as `emergency`;
- exact level agreement; under-/over-triage counts (predicted less/more urgent);
- per-tag precision and recall, plus micro-averaged tag precision and recall.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from triage.advice import advice_for
from triage.engine import TriageEngine
from triage.learned.escalate import assess_with_net
from triage.learned.net import Model
from triage.model import Level, TriageResult

Assess = Callable[[str, int, str], TriageResult]
LEVELS = tuple(Level)


@dataclass(frozen=True)
class Case:
    """One labelled case."""

    id: str
    lang: str
    age: int
    text: str
    expected_level: Level
    expected_tags: frozenset[str]


@dataclass
class Report:
    """Evaluation figures for a set of cases."""

    total: int = 0
    confusion: Counter[tuple[Level, Level]] = field(default_factory=Counter)
    tag_tp: Counter[str] = field(default_factory=Counter)
    tag_fp: Counter[str] = field(default_factory=Counter)
    tag_fn: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def _count(self, expected: Level | None = None, predicted: Level | None = None) -> int:
        return sum(
            n
            for (exp, pred), n in self.confusion.items()
            if (expected is None or exp is expected) and (predicted is None or pred is predicted)
        )

    @property
    def emergency_sensitivity(self) -> float:
        emergencies = self._count(expected=Level.EMERGENCY)
        caught = self._count(expected=Level.EMERGENCY, predicted=Level.EMERGENCY)
        return caught / emergencies if emergencies else 1.0

    @property
    def over_triage_to_emergency(self) -> float:
        others = self.total - self._count(expected=Level.EMERGENCY)
        raised = self._count(predicted=Level.EMERGENCY) - self._count(
            expected=Level.EMERGENCY, predicted=Level.EMERGENCY
        )
        return raised / others if others else 0.0

    @property
    def exact_agreement(self) -> float:
        same = sum(n for (exp, pred), n in self.confusion.items() if exp is pred)
        return same / self.total if self.total else 0.0

    @property
    def under_triage(self) -> int:
        return sum(n for (exp, pred), n in self.confusion.items() if pred.rank > exp.rank)

    @property
    def over_triage(self) -> int:
        return sum(n for (exp, pred), n in self.confusion.items() if pred.rank < exp.rank)

    @property
    def tag_precision(self) -> float:
        tp, fp = sum(self.tag_tp.values()), sum(self.tag_fp.values())
        return tp / (tp + fp) if tp + fp else 1.0

    @property
    def tag_recall(self) -> float:
        tp, fn = sum(self.tag_tp.values()), sum(self.tag_fn.values())
        return tp / (tp + fn) if tp + fn else 1.0


def load_cases(path: Path) -> list[Case]:
    """Read a JSONL file of labelled cases (blank lines are skipped)."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        cases.append(
            Case(
                id=str(raw["id"]),
                lang=str(raw.get("lang", "sv")),
                age=int(raw["age"]),
                text=str(raw["text"]),
                expected_level=Level(raw["expected_level"]),
                expected_tags=frozenset(raw.get("expected_tags", [])),
            )
        )
    return cases


def evaluate(cases: Iterable[Case], assess: Assess) -> Report:
    """Run `assess` on every case and tally the figures."""
    report = Report()
    for case in cases:
        result = assess(case.text, case.age, case.lang)
        report.total += 1
        report.confusion[(case.expected_level, result.level)] += 1
        if result.level is not case.expected_level:
            report.misses.append(
                f"{case.id}: expected {case.expected_level.value}, got {result.level.value} "
                f"({', '.join(r.rule_id for r in result.reasons) or 'no rule'})"
            )
        for tag in result.tags & case.expected_tags:
            report.tag_tp[tag] += 1
        for tag in result.tags - case.expected_tags:
            report.tag_fp[tag] += 1
        for tag in case.expected_tags - result.tags:
            report.tag_fn[tag] += 1
    return report


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def format_report(report: Report) -> str:
    """Human-readable report: confusion matrix, headline figures, per-tag scores."""
    short = {lvl: lvl.value for lvl in LEVELS}
    width = max(len(s) for s in short.values()) + 2
    lines = [f"cases: {report.total}", "", "confusion (rows: expected, columns: predicted)"]
    lines.append("".ljust(width) + "".join(short[p].rjust(width) for p in LEVELS))
    for exp in LEVELS:
        row = "".join(str(report.confusion[(exp, pred)]).rjust(width) for pred in LEVELS)
        lines.append(short[exp].ljust(width) + row)
    lines += [
        "",
        f"emergency sensitivity:        {_pct(report.emergency_sensitivity)}",
        f"over-triage to emergency:     {_pct(report.over_triage_to_emergency)}",
        f"exact level agreement:        {_pct(report.exact_agreement)}",
        f"under-triage (less urgent):   {report.under_triage}",
        f"over-triage (more urgent):    {report.over_triage}",
        f"tag precision (micro):        {_pct(report.tag_precision)}",
        f"tag recall (micro):           {_pct(report.tag_recall)}",
        "",
        "tag                precision  recall  (tp/fp/fn)",
    ]
    for tag in sorted(set(report.tag_tp) | set(report.tag_fp) | set(report.tag_fn)):
        tp, fp, fn = report.tag_tp[tag], report.tag_fp[tag], report.tag_fn[tag]
        precision = _pct(tp / (tp + fp)) if tp + fp else "-"
        recall = _pct(tp / (tp + fn)) if tp + fn else "-"
        lines.append(f"{tag:<18} {precision:>9} {recall:>7}  ({tp}/{fp}/{fn})")
    if report.misses:
        lines += ["", "level disagreements:", *(f"  {m}" for m in report.misses)]
    return "\n".join(lines)


def combined(engine: TriageEngine, net: Model) -> Assess:
    """The service's judgement: the rules, then the escalate-only safety net."""

    def judge(text: str, age: int, lang: str) -> TriageResult:
        return assess_with_net(engine, net, text, age, lang)

    return judge


def model_only(net: Model) -> Assess:
    """The safety net on its own: emergency, urgent, or standard when neither head fires."""

    def judge(text: str, age: int, lang: str) -> TriageResult:
        score = net.score(text, age)
        level = Level.STANDARD
        for head, candidate in (("urgent", Level.URGENT), ("emergency", Level.EMERGENCY)):
            if score.fires(head, net):
                level = candidate
        return TriageResult(
            level=level,
            tags=frozenset(),
            reasons=(),
            advice=advice_for(level, lang),
            ruleset_version="",
        )

    return judge
