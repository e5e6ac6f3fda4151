"""``docs/benchmarks.md`` from ``loadtests/results/*.json`` (written by ``make bench``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loadtests.__main__ import ORDER
from loadtests.results import Figure, ScenarioResult

FINDINGS = Path(__file__).with_name("findings.md")
METHOD = """\
## Method

- Every server runs in its own process pinned to CPU 0; the load generator
  (`python -m loadtests`, asyncio on uvloop, the `websockets` client) is pinned
  to CPU 1. Both raise `RLIMIT_NOFILE` to the hard limit. Everything is on 127.0.0.1.
- Each scenario starts a fresh server per target: the service (`chatserver serve`
  on a copy of a seeded data directory: unit `bench`, nurse accounts with TOTP),
  a bare `websockets` relay (`loadtests/baseline_ws.py`) and a bare Starlette on
  uvicorn relay (`loadtests/baseline_starlette.py`, the service's uvicorn
  WebSocket implementation, `websockets` by default). The
  baselines speak the same frames without storage, triage or auth; like
  `chatserver serve` they refuse permessage-deflate.
- The relay scenario also runs two *floors* beside the `websockets` baseline:
  the same bare relay storing every message durably (SQLite WAL,
  `synchronous=FULL`, group commit) before its ack and relay
  (`loadtests/baseline_store.py`), once with the service's own storage layer
  and once with a minimal store (one table, no index). They show what durable
  acks alone leave of the relay target.
- Latency is measured from each message's *scheduled* send time to its arrival
  on the other side (no coordinated omission), into HDR histograms (1 µs–60 s,
  3 significant digits). "Generator send lag" shows how late the generator
  itself sent; it is part of the reported latency.
- Simulated clients carry distinct `X-Forwarded-For` addresses (the service
  trusts it from 127.0.0.1, as behind its production proxy), so per-address
  intake and login limits, meant for people, do not cap the load. The
  per-connection frame limit (30 frames/s, a policy for people) is lifted for
  the server under test with `CHATSERVER_FRAME_RATE_LIMIT`, so senders go as
  fast as acks allow, as they do against the baselines.
- `server_cpu` / `generator_cpu` in the details are the share of one core each
  process used during the measuring window: the one near 1.0 was the bottleneck.
- Each scenario records the 1/5/15-minute load average when it starts (summary
  table and details): other work on the machine lowers every figure of that scenario.
- `crossinstance` starts PostgreSQL (durable: fsync and synchronous_commit on),
  Redis, two instances and nginx with deploy/'s site (TLS, per-address limits),
  all pinned to CPU 0, and one SQLite instance behind the same nginx; clients
  connect through nginx, each from its own 127/8 address. `stack_cpu` is the
  whole server side (every process tree), `cpu:NAME` each part of it.
"""


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.2f}"


def _verdict(f: Figure) -> str:
    return {True: "**PASS**", False: "**MISS**", None: "—"}[f.passed]


def _figure_rows(result: ScenarioResult) -> list[str]:
    rows = []
    for f in result.figures:
        if "service" in f.values or "websockets" in f.values or "starlette" in f.values:
            vals = [_fmt(f.values.get(t)) for t in ("service", "websockets", "starlette")]
            ratios = [f.ratio(b) for b in ("websockets", "starlette")]
            rtxt = [f"{r:.2f}×" if r is not None else "—" for r in ratios]
        else:  # persistence, scale-out: their own labels instead of targets
            vals = [" / ".join(f"{k}: {_fmt(v)}" for k, v in f.values.items()), "", ""]
            rtxt = [_first_ratio(f), ""]
        rows.append(
            f"| {result.scenario} | {f.name} ({f.unit}) | {' | '.join(vals)} | "
            f"{' | '.join(rtxt)} | {f.goal} | {_verdict(f)} |"
        )
    return rows


def _first_ratio(f: Figure) -> str:
    """``a/b`` of a figure's first two values, named: "0.55× (FULL/OFF)"."""
    keys = list(f.values)[:2]
    if len(keys) < 2:
        return "—"
    a, b = (f.values[k] for k in keys)
    return f"{a / b:.2f}× ({keys[0]}/{keys[1]})" if a is not None and b else "—"


# Issue 19's targets in its order: the key of the figure that answers each
# (Figure.key, set by the scenario) and the target in words.
TARGETS = (
    ("relay", "relay ≥ 0.5× the bare websockets relay (same run)"),
    ("latency-low", "p99 delivery ≤ 5 ms at 100 msg/s (open loop)"),
    ("latency-half", "p99 delivery ≤ 10 ms at 50 % of the service's own ceiling"),
    ("idle", "≤ 30 KiB server memory per idle waiting patient at 10,000 connections"),
    ("churn", "≥ 1,000 connects + hello → welcome per second"),
    ("intake", "≥ 500 intakes per second"),
    ("persistence", "synchronous=FULL group commit ≥ 80 % of synchronous=OFF (same run)"),
    ("scaleout", "PostgreSQL + Redis, two instances behind nginx: relay and p99 (reported)"),
)


def _load(result: ScenarioResult) -> str:
    return " / ".join(f"{x:.2f}" for x in result.load_average) or "?"


def _measured(f: Figure) -> tuple[str, str]:
    """The figure's own value and what stands beside it (baselines or other setups)."""
    if "service" in f.values:
        beside = [
            f"{t} {_fmt(f.values[t])} ({r:.2f}×)"
            for t in ("websockets", "starlette")
            if t in f.values and (r := f.ratio(t)) is not None
        ]
        return f"{_fmt(f.values['service'])} {f.unit}", " · ".join(beside) or "—"
    (first, value), *rest = f.values.items()
    beside = [f"{k}: {_fmt(v)}" for k, v in rest]
    if rest:
        beside.append(_first_ratio(f))
    return f"{first}: {_fmt(value)} {f.unit}", " · ".join(beside) or "—"


def _summary(results: list[ScenarioResult]) -> list[str]:
    lines = [
        "## Issue 19 targets",
        "",
        "| target | figure | measured | beside it | verdict "
        "| load at scenario start (1/5/15 min) |",
        "|---|---|---|---|---|---|",
    ]
    for key, words in TARGETS:
        found = [(r, f) for r in results for f in r.figures if f.key == key]
        if not found:
            lines.append(f"| {words} | (not measured) | — | — | — | — |")
        for result, f in found:
            measured, beside = _measured(f)
            lines.append(
                f"| {words} | {result.scenario}: {f.name} | {measured} | {beside} "
                f"| {_verdict(f)} | {_load(result)} |"
            )
    return [*lines, ""]


def _latency_tables(result: ScenarioResult) -> list[str]:
    out = []
    for label, per_target in result.latencies.items():
        out += [
            f"**{label}** (ms)",
            "",
            "| target | count | p50 | p90 | p99 | p99.9 | max |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for target, s in per_target.items():
            out.append(
                f"| {target} | {s['count']:,} | {s['p50_ms']:.2f} | {s['p90_ms']:.2f} | "
                f"{s['p99_ms']:.2f} | {s['p999_ms']:.2f} | {s['max_ms']:.2f} |"
            )
        out.append("")
    return out


def _details(result: ScenarioResult) -> list[str]:
    out = []
    for target, d in result.details.items():
        shown = {
            k: v
            for k, v in d.items()
            if k not in ("latency", "send_lag", "histogram") and v not in ("", None)
        }
        out.append(f"- `{target}`: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    out += [f"- {n}" for n in result.notes]
    return out


def _profiles(results_dir: Path) -> list[str]:
    out = []
    for path in sorted(results_dir.glob("profile-*.json")):
        data = json.loads(path.read_text())
        for name, summary in data["profiles"].items():
            out += [
                f"### py-spy: {data['scenario']} ({name}, {summary['samples']:,} samples)",
                "",
                "| self | function | | inclusive | function |",
                "|---:|---|---|---:|---|",
            ]
            for own, inc in zip(summary["self"][:15], summary["inclusive"][:15], strict=False):
                out.append(
                    f"| {own['share']:.1%} | `{own['function']}` | | "
                    f"{inc['share']:.1%} | `{inc['function']}` |"
                )
            out.append("")
    return out


# Sections of docs/benchmarks.md written by other benchmarks (statistics queries,
# cross-instance delivery, socket floods) or by hand (the WebSocket implementation
# comparison): carried over as they are when the report is rewritten.
KEPT_SECTIONS = (
    "## Statistics queries",
    "## Cross-instance delivery",
    "## Socket floods",
    "## Sign-in stall",
    "## WebSocket implementation",
)


def kept_sections(text: str) -> list[str]:
    """The KEPT_SECTIONS of an existing report, each up to the next ``## `` heading."""
    out: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            if current is not None:
                out.append("\n".join(current).rstrip())
            current = [line] if line.strip() in KEPT_SECTIONS else None
        elif current is not None:
            current.append(line)
    if current is not None:
        out.append("\n".join(current).rstrip())
    return out


def write_report(results_dir: Path, doc: Path) -> Path:
    machine: dict[str, Any] = {}
    if (results_dir / "machine.json").exists():
        machine = json.loads((results_dir / "machine.json").read_text())
    results = [
        ScenarioResult.load(results_dir / f"{name}.json")
        for name in ORDER
        if (results_dir / f"{name}.json").exists()
    ]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m loadtests all` then `python -m loadtests report`);",
        "do not edit by hand — findings come from `loadtests/findings.md`.",
        "",
        f"- Date: {machine.get('date', '?')}",
        f"- CPU: {machine.get('cpu_model', '?')}, {machine.get('cores', '?')} cores "
        "(server pinned to CPU 0, load generator to CPU 1)",
        f"- Python {machine.get('python', '?')}, Linux {machine.get('kernel', '?')}",
        f"- Load average when the run started (1/5/15 min): {machine.get('load_average', '?')}"
        " — anything above ~0 means other processes competed for the two cores",
        f"- Run: {'smoke (tiny counts, figures meaningless)' if machine.get('smoke') else 'full'}",
        "",
        *_summary(results),
        "## Figures",
        "",
        "| scenario | figure | service | websockets | starlette | service / websockets "
        "| service / starlette | target | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for result in results:
        lines += _figure_rows(result)
    lines += ["", "## Latency distributions", ""]
    for result in results:
        lines += _latency_tables(result)
    lines += ["## Details", ""]
    for result in results:
        lines += [
            f"### {result.scenario}",
            "",
            f"Load average at the start (1/5/15 min): {_load(result)}",
            "",
            f"Parameters: `{json.dumps(result.params, ensure_ascii=False)}`",
            "",
        ]
        lines += [*_details(result), ""]
    lines += [METHOD, "## Profiles", ""]
    lines += _profiles(results_dir) or ["(none recorded: `make profile`)", ""]
    if FINDINGS.exists():
        lines += [FINDINGS.read_text().rstrip(), ""]
    if doc.exists():
        for section in kept_sections(doc.read_text()):
            lines += [section, ""]
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines).rstrip() + "\n")
    return doc
