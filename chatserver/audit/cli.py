"""``chatserver audit verify`` (PROTOCOL.md "Command line").

Exit 0 and ``audit log intact: N events`` when the chain and its signed
checkpoint hold; exit 1 and ``audit log broken at event N: reason`` otherwise
(also when the key or checkpoint cannot be read).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from chatserver.audit.keys import AuditKeyError, AuditSettings, checkpoint_path, load_key
from chatserver.audit.service import AuditLog, AuditUnavailableError
from chatserver.audit.store import AuditStore
from chatserver.cli.common import settings_from_args, with_storage
from chatserver.security.request_id import set_request_id


async def _verify(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    audit_settings = AuditSettings()
    key_error: AuditKeyError | None = None
    try:
        key = load_key(settings.data_dir, audit_settings.audit_key, create=False)
    except AuditKeyError as exc:
        key, key_error = b"", exc
    storage = await with_storage(settings)
    try:
        audit = AuditLog(
            AuditStore(storage),  # SQLite or PostgreSQL
            key,
            checkpoint_path(settings.data_dir, audit_settings.audit_checkpoint_path),
            clock=lambda: 0.0,
        )
        if key_error is not None and (await audit.store.head())[0] > 0:
            print(f"audit log cannot be verified: {key_error}")
            return 1
        verdict = await audit.verify()
    finally:
        await storage.close()
    if verdict.ok:
        print(f"audit log intact: {verdict.count} events")
        return 0
    where = f"event {verdict.bad_seq}" if verdict.bad_seq is not None else "checkpoint"
    print(f"audit log broken at {where}: {verdict.reason}")
    return 1


def cmd_verify(args: argparse.Namespace) -> int:
    return asyncio.run(_verify(args))


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    audit = sub.add_parser("audit", parents=[common], help="the audit log").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser(
        "verify", parents=[common], help="check the hash chain and its signed checkpoint"
    )
    verify.set_defaults(func=cmd_verify)


async def record_cli_event(
    storage: Any,
    data_dir: Path,
    action: str,
    *,
    unit_id: str | None = None,
    detail: dict[str, Any] | None = None,
    before: bool = False,
) -> bool:
    """Audit an administration command or an export run on the command line
    (actor: the CLI).

    Returns False (after saying so on stderr) when the event could not be written.
    ``before``: the event is written before the command acts (an export), which
    then does nothing.
    """

    audit_settings = AuditSettings()
    try:
        log = AuditLog(
            AuditStore(storage),  # SQLite or PostgreSQL
            load_key(data_dir, audit_settings.audit_key),
            checkpoint_path(data_dir, audit_settings.audit_checkpoint_path),
            clock=time.time,
        )
        await log.record(
            action,
            result="ok",
            request_id=set_request_id(),
            unit_id=unit_id,
            detail={"via": "cli", **(detail or {})},
        )
    except (AuditKeyError, AuditUnavailableError) as exc:
        if before:
            print(f"error: refused, it cannot be audited: {exc}", file=sys.stderr)
        else:
            print(f"error: the change was made but could not be audited: {exc}", file=sys.stderr)
        return False
    return True
