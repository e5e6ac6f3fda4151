"""The ``chatserver`` command line (PROTOCOL.md "Command line")."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Sequence

from chatserver.access.password_policy import WeakPassword
from chatserver.access.policy import ROLES
from chatserver.audit.cli import record_cli_event
from chatserver.cli import accounts, units
from chatserver.cli.common import HelpParser, add_unit, add_user, settings_from_args, with_storage
from chatserver.identity.login_store import set_hsa_id, user_id_by_hsa_id
from chatserver.security.files import restrict_umask
from chatserver.storage.base import Conflict, NotFound
from chatserver.storage.directory import set_unit_identification
from chatserver.text_hygiene import UnsafeText, clean

UNIT_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
# An HSA-id: country code, the issuing organisation's number, '-', a serial
# (e.g. SE2321000016-1003; Inera's HSA specification allows up to 31 characters).
HSA_ID = re.compile(r"[A-Z]{2}[0-9A-Z]{10}-[0-9A-Za-z]{1,31}")

# Feature modules that add subcommands: each has
# ``register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser)``.
FEATURE_CLIS: tuple[str, ...] = (
    "chatserver.cli.migrate_to",
    "chatserver.admin.cli",
    "chatserver.audit",
    "chatserver.stats.cli",
    "chatserver.cli.keys",
    "chatserver.fhir",
)


def cmd_serve(args: argparse.Namespace) -> int:
    from chatserver.cli.serve import serve  # noqa: PLC0415

    return serve(settings_from_args(args), demo=args.demo)


def _identification_refused(args: argparse.Namespace, identification: str | None) -> bool:
    """``required`` needs a patient issuer (else no patient could reach the unit,
    and ``serve`` would not start): say so and refuse."""
    if identification != "required" or settings_from_args(args).patient_oidc_issuer:
        return False
    print(
        "error: 'required' needs patient sign-in: set CHATSERVER_PATIENT_OIDC_ISSUER"
        " (and its client id and secret) first, see docs/identity.md",
        file=sys.stderr,
    )
    return True


def cmd_unit_add(args: argparse.Namespace) -> int:
    if not args.id or set(args.id.lower()) - UNIT_ID_CHARS or len(args.id) > 64:
        print("error: a unit id is 1-64 characters of a-z, 0-9, - and _", file=sys.stderr)
        return 2
    if _identification_refused(args, args.identification):
        return 2

    async def run() -> int:
        storage = await with_storage(settings_from_args(args))
        try:
            await add_unit(
                storage,
                args.id,
                args.name,
                always_open=args.always_open,
                rollout=args.rollout,
                identification=args.identification,
            )
            if not await record_cli_event(
                storage,
                settings_from_args(args).data_dir,
                "admin_unit_create",
                unit_id=args.id,
                detail={"identification": args.identification},
            ):
                return 1
        except Conflict:
            print(f"error: unit {args.id!r} already exists", file=sys.stderr)
            return 1
        finally:
            await storage.close()
        print(f"unit {args.id} created with queue {args.id}:nurse")
        print(
            "\n".join(
                units.hours_summary(args.id, always_open=args.always_open, public_holidays=True)
            )
        )
        return 0

    return asyncio.run(run())


def cmd_unit_set_identification(args: argparse.Namespace) -> int:
    identification = None if args.identification == "default" else args.identification
    if _identification_refused(args, identification):
        return 2
    settings = settings_from_args(args)

    async def run() -> int:
        storage = await with_storage(settings)
        try:
            if not await storage.write(set_unit_identification(args.id, identification)):
                print(f"error: no unit {args.id!r}", file=sys.stderr)
                return 1
            if not await record_cli_event(
                storage,
                settings.data_dir,
                "admin_unit_update",
                unit_id=args.id,
                detail={"identification": identification},
            ):
                return 1
        finally:
            await storage.close()
        shown = identification or "default (CHATSERVER_PATIENT_IDENTIFICATION)"
        print(f"unit {args.id}: patient identification {shown}", file=sys.stderr)
        return 0

    return asyncio.run(run())


def cmd_user_add(args: argparse.Namespace) -> int:
    if args.hsa_id is not None and not HSA_ID.fullmatch(args.hsa_id):
        print("error: --hsa-id is not an HSA-id (e.g. SE2321000016-1003)", file=sys.stderr)
        return 2
    if args.display_name is not None:
        try:  # as the admin API (chatserver/text_hygiene.py)
            args.display_name = clean(args.display_name, multiline=False)
        except UnsafeText as exc:
            print(f"error: --display-name {exc.reason}", file=sys.stderr)
            return 2
    password = sys.stdin.readline().rstrip("\r\n")
    settings = settings_from_args(args)

    async def run() -> int:
        storage = await with_storage(settings)
        try:
            if args.hsa_id and await storage.read(user_id_by_hsa_id(args.hsa_id)) is not None:
                print(f"error: another account has the HSA-id {args.hsa_id}", file=sys.stderr)
                return 1
            user_id, uri = await add_user(
                storage,
                settings,
                args.username,
                password,
                args.role,
                args.unit,
                args.display_name,
                first_sign_in=args.first_sign_in,
            )
            if args.hsa_id is not None:
                await storage.write(set_hsa_id(args.username, args.hsa_id))
            if not await record_cli_event(
                storage,
                settings.data_dir,
                "admin_user_create",
                detail={
                    "user_id": user_id,
                    "username": args.username,
                    "role": args.role,
                    "units": list(args.unit),
                    **({"hsa_id": args.hsa_id} if args.hsa_id else {}),
                },
            ):
                return 1
        except Conflict:
            print(f"error: user {args.username!r} already exists", file=sys.stderr)
            return 1
        except WeakPassword as exc:
            feedback = exc.extra.get("feedback", {})
            hints = " ".join([feedback.get("warning", ""), *feedback.get("suggestions", [])])
            print(f"error: weak password: {exc.message}. {hints}".rstrip(), file=sys.stderr)
            return 2
        except NotFound as exc:
            print(f"error: unknown unit ({exc})", file=sys.stderr)
            return 1
        finally:
            await storage.close()
        if uri:
            print(uri)
        print(f"user {args.username} created ({args.role})", file=sys.stderr)
        return 0

    return asyncio.run(run())


def cmd_user_set_hsa_id(args: argparse.Namespace) -> int:
    hsa_id = None if args.hsa_id == "-" else args.hsa_id
    if hsa_id is not None and not HSA_ID.fullmatch(hsa_id):
        print("error: not an HSA-id (e.g. SE2321000016-1003)", file=sys.stderr)
        return 2
    settings = settings_from_args(args)

    async def run() -> int:
        storage = await with_storage(settings)
        try:
            user_id = await storage.write(set_hsa_id(args.username, hsa_id))
            if not await record_cli_event(
                storage,
                settings.data_dir,
                "admin_user_set_hsa_id",
                detail={"user_id": user_id, "username": args.username, "hsa_id": hsa_id},
            ):
                return 1
        except Conflict:
            print(f"error: another account has the HSA-id {hsa_id}", file=sys.stderr)
            return 1
        except NotFound:
            print(f"error: no user {args.username!r}", file=sys.stderr)
            return 1
        finally:
            await storage.close()
        print(f"user {args.username}: HSA-id {hsa_id or 'removed'}", file=sys.stderr)
        return 0

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    common = HelpParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="data directory (default ./data or $CHATSERVER_DATA_DIR)",
    )
    p = HelpParser(
        prog="chatserver",
        parents=[common],
        description="Patient chat for Swedish primary care: the service and its administration."
        " Settings not given as options come from CHATSERVER_* variables (docs/operations.md).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="run the service")
    serve.add_argument(
        "--host", help="address to listen on (default 127.0.0.1 or $CHATSERVER_HOST)"
    )
    serve.add_argument(
        "--port",
        type=int,
        help="port to listen on, 0 for any free one (default 8000 or $CHATSERVER_PORT)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="at the first start: a demo unit (always open), one account per role and"
        " about 90 days of statistics history; prints how to sign in",
    )
    serve.set_defaults(func=cmd_serve)

    unit = sub.add_parser("unit", parents=[common], help="care units").add_subparsers(
        dest="unit_command", required=True, metavar="COMMAND"
    )
    ua = unit.add_parser(
        "add",
        parents=[common],
        help="create a unit with a nurse queue",
        description="Create a care unit with a nurse queue. Without --always-open the unit"
        " is open Mon-Fri 08:00-17:00 (Europe/Stockholm), closed on Swedish public holidays;"
        " outside those hours patients cannot start a chat. It prints the hours and the"
        " commands that change them.",
    )
    ua.add_argument("id", help="unit id: 1-64 characters of a-z, 0-9, - and _")
    ua.add_argument("--name", required=True, help="the unit's name as patients see it")
    ua.add_argument(
        "--always-open",
        action="store_true",
        help="take chats at any hour (for trying things out); otherwise Mon-Fri 08-17",
    )
    ua.add_argument(
        "--rollout",
        choices=["live", "pilot"],
        default="live",
        help="'pilot': reachable only through its link, not listed for patients",
    )
    ua.add_argument(
        "--identification",
        choices=["optional", "required"],
        help="patient sign-in with e-legitimation: 'required' refuses anonymous chats"
        " (needs CHATSERVER_PATIENT_OIDC_ISSUER); default: CHATSERVER_PATIENT_IDENTIFICATION",
    )
    ua.set_defaults(func=cmd_unit_add)
    ui = unit.add_parser(
        "set-identification",
        parents=[common],
        help="whether a unit requires patient sign-in with e-legitimation",
    )
    ui.add_argument("id", help="unit id")
    ui.add_argument(
        "identification",
        choices=["optional", "required", "default"],
        help="'required' refuses anonymous chats (needs CHATSERVER_PATIENT_OIDC_ISSUER);"
        " 'default' follows CHATSERVER_PATIENT_IDENTIFICATION",
    )
    ui.set_defaults(func=cmd_unit_set_identification)
    uh = unit.add_parser(
        "set-hours", parents=[common], help="a unit's weekly opening hours and exceptions"
    )
    uh.add_argument("id", help="unit id")
    uh.add_argument(
        "hours",
        metavar="HOURS",
        help="a JSON file of the hours (docs/protocol.md, admin API), '-' for stdin,"
        " or 'default' for Mon-Fri 08:00-17:00",
    )
    uh.set_defaults(func=units.cmd_set_hours)
    hol = unit.add_parser(
        "set-holidays",
        parents=[common],
        help="whether a unit closes on Swedish public holidays",
    )
    hol.add_argument("id", help="unit id")
    hol.add_argument(
        "state",
        choices=["on", "off"],
        help="'on' (every unit's default): closed on public holidays, midsommarafton,"
        " julafton and nyårsafton unless an exception opens that date; 'off': weekly hours",
    )
    hol.set_defaults(func=units.cmd_set_holidays)
    alw = unit.add_parser(
        "set-always-open", parents=[common], help="whether a unit takes chats at any hour"
    )
    alw.add_argument("id", help="unit id")
    alw.add_argument(
        "state", choices=["on", "off"], help="'on': always open; 'off': its opening hours"
    )
    alw.set_defaults(func=units.cmd_set_always_open)

    user = sub.add_parser("user", parents=[common], help="staff accounts").add_subparsers(
        dest="user_command", required=True, metavar="COMMAND"
    )
    us = user.add_parser(
        "add",
        parents=[common],
        help="create a staff account",
        description="Create a staff account. The password is read from stdin (one line);"
        " the otpauth:// URI of its second factor is printed for the authenticator app.",
    )
    us.add_argument("username", help="sign-in name (unique regardless of case)")
    us.add_argument("--role", required=True, choices=sorted(ROLES), help="the account's role")
    us.add_argument(
        "--unit", required=True, action="append", help="unit id; repeat for several units"
    )
    us.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from stdin (never from the command line, where `ps` shows it)",
    )
    us.add_argument("--display-name", help="name shown to colleagues (default: the username)")
    us.add_argument("--hsa-id", help="the SITHS HSA-id that signs in as this account")
    us.add_argument(
        "--first-sign-in",
        action="store_true",
        help="the user changes the password and enrols the second factor at first sign-in"
        " (no otpauth URI printed)",
    )
    us.set_defaults(func=cmd_user_add)
    uh = user.add_parser(
        "set-hsa-id", parents=[common], help="set (or with '-' remove) an account's HSA-id"
    )
    uh.add_argument("username", help="the account")
    uh.add_argument("hsa_id", metavar="ID", help="HSA-id, e.g. SE2321000016-1003, or '-'")
    uh.set_defaults(func=cmd_user_set_hsa_id)
    rp = user.add_parser(
        "reset-password",
        parents=[common],
        help="print a new strong password (and a new TOTP secret if it has one)",
        description="Give an account a new random password, printed once on stdout, and,"
        " when it has a second factor, a new TOTP secret (its otpauth:// URI and the secret)."
        " The account's sessions end. Audited as admin_user_reset_password.",
    )
    rp.add_argument("username", help="the account")
    rp.set_defaults(func=accounts.cmd_reset_password)

    import importlib  # noqa: PLC0415

    for name in FEATURE_CLIS:
        importlib.import_module(name).register(sub, common)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # Everything a command creates (database, WAL, SHM, keys, backups) is
    # private to the service's account: files 0600, directories 0700. (Put
    # back afterwards only for callers that run commands in-process, as tests do.)
    umask = restrict_umask()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not hasattr(args, "data_dir"):
            args.data_dir = os.environ.get("CHATSERVER_DATA_DIR")
        return int(args.func(args))
    finally:
        os.umask(umask)


if __name__ == "__main__":
    raise SystemExit(main())
