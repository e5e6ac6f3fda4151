"""Command line: ``python -m loadtests SCENARIO|all|report|profile``.

Scenarios: relay, latency, idle, churn, intake, fanout, persistence, crossinstance.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import uvloop

from loadtests.clients import set_compression
from loadtests.results import TARGET_NAMES
from loadtests.runner import RESULTS_DIR, ROOT, Options
from loadtests.system import load_average, machine, pin_generator, raise_nofile

ORDER = (
    "relay",
    "latency",
    "idle",
    "churn",
    "intake",
    "fanout",
    "persistence",
    "crossinstance",
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtests", description=__doc__)
    parser.add_argument("scenario", choices=(*ORDER, "all", "report", "profile"))
    parser.add_argument("--smoke", action="store_true", help="tiny counts: checks it works")
    parser.add_argument(
        "--targets",
        default=",".join(TARGET_NAMES),
        help="comma-separated subset of service,websockets,starlette",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-deflate", action="store_true", help="clients refuse compression")
    parser.add_argument("--chatserver", default=None, help="path of the chatserver script")
    parser.add_argument(
        "--profile-scenario", default="relay", help="scenario to profile with py-spy"
    )
    return parser.parse_args(argv)


def options(args: argparse.Namespace) -> Options:
    opts = Options(
        smoke=args.smoke,
        targets=tuple(t for t in args.targets.split(",") if t),
        out_dir=args.out,
    )
    if args.chatserver:
        opts.chatserver = args.chatserver
    return opts


async def run_scenarios(names: tuple[str, ...], opts: Options) -> None:
    from loadtests.scenarios import SCENARIOS  # noqa: PLC0415

    opts.out_dir.mkdir(parents=True, exist_ok=True)
    info = {**machine().as_dict(), "smoke": opts.smoke}
    (opts.out_dir / "machine.json").write_text(json.dumps(info, indent=2) + "\n")
    for name in names:
        print(f"== {name}", flush=True)
        load = load_average()  # before the scenario's own servers add to it
        result = await SCENARIOS[name].run(opts)
        result.load_average = load
        path = result.save(opts.out_dir)
        for figure in result.figures:
            verdict = {True: "PASS", False: "MISS", None: "-"}[figure.passed]
            print(f"   {figure.name}: {figure.values} {figure.unit} [{verdict}]", flush=True)
        for target, detail in result.details.items():
            if isinstance(detail, dict) and "error" in detail:
                print(f"   {target}: ERROR {detail['error']}", flush=True)
        print(f"   → {path}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    opts = options(args)
    set_compression(not args.no_deflate)
    if args.scenario == "report":
        from loadtests.report import write_report  # noqa: PLC0415

        print(write_report(opts.out_dir, args.doc))
        return 0
    pin_generator()
    raise_nofile()
    if args.scenario == "profile":
        from loadtests.profiling import profile  # noqa: PLC0415

        uvloop.run(profile(args.profile_scenario, opts))
        return 0
    names = ORDER if args.scenario == "all" else (args.scenario,)
    uvloop.run(run_scenarios(names, opts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
