"""Scenario results: figures with targets and PASS/MISS, saved as JSON per scenario."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TARGET_NAMES = ("service", "websockets", "starlette")


@dataclass(slots=True)
class Figure:
    """One reported number per target; ``goal`` is the issue's target in words."""

    name: str
    unit: str
    values: dict[str, float | None]
    goal: str = ""
    passed: bool | None = None  # None: no target, or the service was not measured
    key: str = ""  # which issue-19 target it answers (loadtests/report.py TARGETS), if any

    def ratio(self, baseline: str) -> float | None:
        service, base = self.values.get("service"), self.values.get(baseline)
        if service is None or not base:
            return None
        return service / base


@dataclass(slots=True)
class ScenarioResult:
    scenario: str
    params: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    latencies: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # 1/5/15-minute load average when the scenario started: other work on the
    # machine skews every figure (set by ``python -m loadtests``).
    load_average: list[float] = field(default_factory=list)

    def add_latency(self, label: str, target: str, summary: dict[str, Any]) -> None:
        self.latencies.setdefault(label, {})[target] = summary

    def save(self, out_dir: Path) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{self.scenario}.json"
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> ScenarioResult:
        data = json.loads(path.read_text())
        data["figures"] = [Figure(**f) for f in data["figures"]]
        return cls(**data)
