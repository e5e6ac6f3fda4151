"""``chatserver stats export --from --to [--unit] [--queue] --format csv|json``
(a ``FEATURE_CLIS`` module). Prints every figure of the dashboard: the weekly
channel-shift table and the operations tables (CSV: one block per table,
separated by a blank line; JSON: the same objects as the HTTP API)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from chatserver.audit.cli import record_cli_event
from chatserver.cli.common import settings_from_args, with_storage
from chatserver.errors import ChatError

from . import service
from .query import parse_bucket, parse_period
from .store import StatsStore
from .tables import channel_table, operations_tables, to_csv

__all__ = ["register"]


async def _export(args: argparse.Namespace) -> int:

    params = {"from": args.date_from, "to": args.date_to, "bucket": args.bucket}
    try:
        period = parse_period(params)
        bucket = parse_bucket(params)
    except ChatError as exc:
        print(f"error: {exc.message} {exc.fields or ''}".rstrip(), file=sys.stderr)
        return 2
    settings = settings_from_args(args)
    storage = await with_storage(settings)
    try:
        store = StatsStore(storage)
        known = await store.unit_ids()
        units = args.unit or known
        unknown = sorted(set(units) - set(known))
        if unknown:
            print(f"error: unknown unit {', '.join(unknown)}", file=sys.stderr)
            return 1
        # An export is audited before anything is read or printed (as over HTTP).
        export = {"units": units, "queue": args.queue, "from": args.date_from, "to": args.date_to}
        if not await record_cli_event(
            storage, settings.data_dir, "stats_tables", detail=export, before=True
        ):
            return 1
        buckets = await service.channel_shift(store, units, period, bucket)
        ops = await service.operations(store, units, period, args.queue)
    finally:
        await storage.close()
    if args.format == "json":
        out: dict[str, Any] = {"channel_shift": [b.to_dict() for b in buckets], "operations": ops}
        sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    tables = [channel_table(buckets), *operations_tables(ops).values()]
    sys.stdout.write("\r\n".join(f"# {t.name}\r\n{to_csv(t)}" for t in tables))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    return asyncio.run(_export(args))


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    stats = sub.add_parser("stats", parents=[common], help="statistics").add_subparsers(
        dest="stats_command", required=True
    )
    ex = stats.add_parser("export", parents=[common], help="print the dashboard's figures")
    ex.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
    ex.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
    ex.add_argument("--unit", action="append", help="repeat for several; default all units")
    ex.add_argument("--queue", help="only contacts now in this queue")
    ex.add_argument(
        "--bucket", default="week", choices=["day", "week", "month"], help="rows per period"
    )
    ex.add_argument("--format", default="csv", choices=["csv", "json"], help="output format")
    ex.set_defaults(func=cmd_export)
