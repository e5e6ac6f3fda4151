"""``chatserver unit set-hours|set-holidays|set-always-open``: a unit's opening
hours from the command line (the admin API's ``/api/admin/units/ID/hours`` and
``PATCH /api/admin/units/ID`` do the same), and what ``unit add`` prints about them.

Running services pick a change up with their next operations sweep
(``CHATSERVER_OPERATIONS_SWEEP_S``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from chatserver.admin.holiday_store import set_public_holidays
from chatserver.admin.hours import DEFAULT_HOURS, Hours, parse_hours
from chatserver.admin.hours_text import describe_week
from chatserver.admin.store import OperationsStore
from chatserver.audit.cli import record_cli_event
from chatserver.cli.common import settings_from_args, with_storage
from chatserver.errors import InvalidInput
from chatserver.storage.base import NotFound

__all__ = ["cmd_set_always_open", "cmd_set_holidays", "cmd_set_hours", "hours_summary"]


def hours_summary(
    unit_id: str, *, always_open: bool, public_holidays: bool, hours: Hours = DEFAULT_HOURS
) -> list[str]:
    """What ``unit add`` prints: the unit's hours and the commands that change them."""
    if always_open:
        return [
            "opening hours: always open (--always-open)",
            f"  set opening hours instead: chatserver unit set-always-open {unit_id} off",
        ]
    holidays = (
        "closed on Swedish public holidays, midsommarafton, julafton and nyårsafton"
        if public_holidays
        else "open on public holidays as on other days"
    )
    return [
        f"opening hours (Europe/Stockholm): {describe_week(hours)}; {holidays}",
        "  outside them patients are told the chat is closed and when it opens",
        f"  change them: chatserver unit set-hours {unit_id} HOURS.json"
        " (the JSON of docs/protocol.md, or /admin)",
        f"  public holidays: chatserver unit set-holidays {unit_id} on|off",
        f"  always open (for trying things out): chatserver unit set-always-open {unit_id} on",
    ]


def _read_hours(source: str) -> dict[str, Any] | None:
    """The hours document from a file or '-' (stdin); None for 'default'."""
    if source == "default":
        return None
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return parse_hours(json.loads(text)).to_dict()


def cmd_set_hours(args: argparse.Namespace) -> int:
    try:
        doc = _read_hours(args.hours)
    except OSError as exc:
        print(f"error: cannot read {args.hours}: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: not JSON: {exc}", file=sys.stderr)
        return 2
    except InvalidInput as exc:
        fields = ", ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
        print(f"error: {exc.message} ({fields})", file=sys.stderr)
        return 2
    settings = settings_from_args(args)

    async def run() -> int:
        storage = await with_storage(settings)
        try:
            await OperationsStore(storage).set_hours(args.id, doc, at=time.time(), by=None)
            action = "admin_hours_set" if doc is not None else "admin_hours_default"
            detail = {"hours": doc} if doc is not None else None
            if not await record_cli_event(
                storage, settings.data_dir, action, unit_id=args.id, detail=detail
            ):
                return 1
        except NotFound:
            print(f"error: no unit {args.id!r}", file=sys.stderr)
            return 1
        finally:
            await storage.close()
        hours = parse_hours(doc) if doc is not None else DEFAULT_HOURS
        print(f"unit {args.id}: {describe_week(hours)}", file=sys.stderr)
        return 0

    return asyncio.run(run())


def _set_flag(args: argparse.Namespace, field: str, on: bool) -> int:
    settings = settings_from_args(args)

    async def run() -> int:
        storage = await with_storage(settings)
        try:
            if field == "public_holidays":
                found = await storage.write(set_public_holidays(args.id, on))
            else:
                unit = await OperationsStore(storage).update_unit(
                    args.id, name=None, always_open=on, rollout=None
                )
                found = unit is not None
            if not found:
                print(f"error: no unit {args.id!r}", file=sys.stderr)
                return 1
            if not await record_cli_event(
                storage, settings.data_dir, "admin_unit_update", unit_id=args.id, detail={field: on}
            ):
                return 1
        finally:
            await storage.close()
        print(f"unit {args.id}: {field.replace('_', ' ')} {'on' if on else 'off'}", file=sys.stderr)
        return 0

    return asyncio.run(run())


def cmd_set_holidays(args: argparse.Namespace) -> int:
    return _set_flag(args, "public_holidays", args.state == "on")


def cmd_set_always_open(args: argparse.Namespace) -> int:
    return _set_flag(args, "always_open", args.state == "on")
