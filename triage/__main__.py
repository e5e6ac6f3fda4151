"""Command line: `python -m triage check | evaluate FILE | bench | train`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from triage.learned.corpus import DEFAULT_CORPUS
from triage.learned.net import DEFAULT_MODEL
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
    from triage.evaluate import (  # noqa: PLC0415
        Assess,
        combined,
        evaluate,
        format_report,
        load_cases,
        model_only,
    )
    from triage.learned.net import Model  # noqa: PLC0415
    from triage.rules import load_ruleset  # noqa: PLC0415

    engine = TriageEngine(load_ruleset(args.rules))
    judge: Assess
    if args.engine == "rules":
        judge = engine.assess
    else:
        net = Model.load(args.model)
        judge = model_only(net) if args.engine == "model" else combined(engine, net)
    report = evaluate(load_cases(args.file), judge)
    print(format_report(report))
    # Missing an emergency is the one error the service must never make.
    return 0 if report.emergency_sensitivity >= 1.0 else 1


def _bench(args: argparse.Namespace) -> int:
    from triage.bench import NET_SAMPLE_TEXT, SAMPLE_TEXT, run_bench  # noqa: PLC0415

    for label, text in (
        ("emergency (rules only)", SAMPLE_TEXT),
        ("not emergency (rules + safety net)", NET_SAMPLE_TEXT),
    ):
        result = run_bench(args.runs, text)
        print(
            f"assess on {result.chars} chars, {label}, {result.runs} runs: mean "
            f"{result.mean_us:.0f} µs, median {result.median_us:.0f} µs, p99 "
            f"{result.p99_us:.0f} µs; CPU {result.cpu_us:.0f} µs/call"
        )
    return 0


def _train(args: argparse.Namespace) -> int:
    from triage.learned.train import build as build_model  # noqa: PLC0415
    from triage.learned.train import dumps, train  # noqa: PLC0415

    if args.check:
        fresh = dumps(build_model(args.corpus))
        committed = args.out.read_text(encoding="utf-8")
        if fresh != committed:
            print(f"{args.out} is not what the corpus trains to; run python -m triage train")
            for number, (new, old) in enumerate(
                zip(fresh.splitlines(), committed.splitlines(), strict=False), 1
            ):
                if new != old:
                    print(f"  first difference, line {number}: {old!r} -> {new!r}")
                    break
            return 1
        print(f"OK: {args.out} is reproduced by the corpus")
        return 0
    data = train(args.corpus, args.out)
    meta = data["meta"]
    print(f"wrote {args.out}: {meta['version']}, {meta['corpus_texts']} texts")
    for head, figures in meta["cross_validation"].items():
        print(
            f"  {head}: threshold {figures['threshold']}, cross-validated sensitivity "
            f"{figures['sensitivity']:.1%}, false alarms {figures['false_alarm_rate']:.1%}"
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
    evaluate.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="safety-net model file")
    evaluate.add_argument(
        "--engine",
        choices=("combined", "rules", "model"),
        default="combined",
        help="rules then safety net (default), rules only, or the model only",
    )
    evaluate.set_defaults(func=_evaluate)
    bench = sub.add_parser("bench", help="time assess() on a 300-character message")
    bench.add_argument("--runs", type=int, default=2000)
    bench.set_defaults(func=_bench)
    train = sub.add_parser("train", help="rebuild the safety-net model from the corpus")
    train.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory")
    train.add_argument("--out", type=Path, default=DEFAULT_MODEL, help="model file to write")
    train.add_argument(
        "--check", action="store_true", help="only check that the model file is reproduced"
    )
    train.set_defaults(func=_train)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":  # pragma: no cover - exercised through main() in tests
    sys.exit(main())
