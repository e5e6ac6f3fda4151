"""Command line: `python -m triage check | evaluate FILE | bench`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from triage.rules import DEFAULT_RULES_DIR


def _check(args: argparse.Namespace) -> int:
    from triage.check import check_rules  # noqa: PLC0415

    problems = check_rules(args.rules)
    if problems:
        print(f"{len(problems)} problem(s) in {args.rules}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"OK: rule files in {args.rules} are valid")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from triage.engine import TriageEngine  # noqa: PLC0415
    from triage.evaluate import evaluate, format_report, load_cases  # noqa: PLC0415
    from triage.rules import load_ruleset  # noqa: PLC0415

    engine = TriageEngine(load_ruleset(args.rules))
    report = evaluate(load_cases(args.file), engine.assess)
    print(format_report(report))
    # Missing an emergency is the one error the service must never make.
    return 0 if report.emergency_sensitivity >= 1.0 else 1


def _bench(args: argparse.Namespace) -> int:
    from triage.bench import run_bench  # noqa: PLC0415

    result = run_bench(args.runs)
    print(
        f"assess on {result.chars} chars, {result.runs} runs: mean {result.mean_us:.0f} µs, "
        f"median {result.median_us:.0f} µs, p99 {result.p99_us:.0f} µs; "
        f"CPU {result.cpu_us:.0f} µs/call"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m triage", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate the rule files")
    check.add_argument("--rules", type=Path, default=DEFAULT_RULES_DIR, help="rule directory")
    check.set_defaults(func=_check)
    evaluate = sub.add_parser("evaluate", help="score the engine on a JSONL file of cases")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--rules", type=Path, default=DEFAULT_RULES_DIR, help="rule directory")
    evaluate.set_defaults(func=_evaluate)
    bench = sub.add_parser("bench", help="time assess() on a 300-character message")
    bench.add_argument("--runs", type=int, default=2000)
    bench.set_defaults(func=_bench)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":  # pragma: no cover - exercised through main() in tests
    sys.exit(main())
