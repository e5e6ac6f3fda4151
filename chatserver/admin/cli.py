"""Operations subcommands of ``chatserver`` (FEATURE_CLIS):

- ``chatserver backup PATH``: consistent online copy of the SQLite database;
- ``chatserver restore PATH [--force]``: install a backup (service stopped);
- ``chatserver retention run``: purge free text past the retention period now.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from chatserver.cli.common import settings_from_args
from chatserver.settings import Settings


def _sqlite_only(settings: Settings) -> bool:
    if settings.database_url:
        print(
            "error: backup/restore here is for the embedded SQLite database;"
            " back PostgreSQL up with pg_dump (docs/operations.md)",
            file=sys.stderr,
        )
        return False
    return True


def cmd_backup(args: argparse.Namespace) -> int:
    from chatserver.admin.backup import BackupError, backup_sqlite  # noqa: PLC0415

    settings = settings_from_args(args)
    if not _sqlite_only(settings):
        return 2
    try:
        size = backup_sqlite(settings.sqlite_path, Path(args.path))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {args.path} ({size} bytes)")
    key = _audit_key_file(settings)
    if key is not None:
        # The key signs the audit log; a backup next to its key could be forged.
        print(f"note: keep a copy of the audit key {key} apart from the backups")
    return 0


def _audit_key_file(settings: Settings) -> Path | None:
    """The data dir's audit key file when no CHATSERVER_AUDIT_KEY is configured."""
    from chatserver.audit.keys import KEY_FILE, AuditSettings  # noqa: PLC0415

    path = settings.data_dir / KEY_FILE
    return path if AuditSettings().audit_key is None and path.exists() else None


def _set_aside_checkpoint(settings: Settings) -> Path | None:
    """The audit checkpoint vouches for the chain head of the replaced database;
    kept under another name (evidence), it no longer fails verification of the
    restored one. The service writes a new checkpoint with its next event."""
    from chatserver.audit.keys import AuditSettings, checkpoint_path  # noqa: PLC0415

    path = checkpoint_path(settings.data_dir, AuditSettings().audit_checkpoint_path)
    if not path.exists():
        return None
    aside = path.with_name(f"{path.name}.before-restore-{int(time.time())}")
    path.rename(aside)
    return aside


def cmd_restore(args: argparse.Namespace) -> int:
    from chatserver.admin.backup import BackupError, restore_sqlite  # noqa: PLC0415

    settings = settings_from_args(args)
    if not _sqlite_only(settings):
        return 2
    try:
        restore_sqlite(Path(args.path), settings.sqlite_path, force=args.force)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.path} into {settings.sqlite_path}")
    aside = _set_aside_checkpoint(settings)
    if aside is not None:
        print(f"the previous audit checkpoint is kept as {aside}")
    from chatserver.audit.keys import KEY_FILE, AuditSettings  # noqa: PLC0415

    if AuditSettings().audit_key is None and not (settings.data_dir / KEY_FILE).exists():
        print(
            f"warning: no audit key; copy the original {KEY_FILE} into {settings.data_dir}"
            " (or set CHATSERVER_AUDIT_KEY) before starting, or the audit log will not verify",
            file=sys.stderr,
        )
    return 0


def cmd_retention_run(args: argparse.Namespace) -> int:
    from chatserver.admin.retention import run_retention  # noqa: PLC0415
    from chatserver.admin.service import of  # noqa: PLC0415
    from chatserver.app import create_app  # noqa: PLC0415

    settings = settings_from_args(args)
    # The whole app, so the audit log (a feature module) records each purge.
    state = create_app(settings).state.chat
    ops = of(state)
    ops.background = False

    async def run() -> int:
        await state.start()
        try:
            return await run_retention(state, ops.store, state.clock())
        finally:
            await state.stop()

    purged = asyncio.run(run())
    print(f"purged {purged} contacts (retention {settings.retention_days} days)")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    backup = sub.add_parser(
        "backup", parents=[common], help="consistent copy of the database while it runs"
    )
    backup.add_argument("path", help="file to write (replaced atomically)")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", parents=[common], help="install a backup (stop the service first)"
    )
    restore.add_argument("path", help="backup file made by `chatserver backup`")
    restore.add_argument("--force", action="store_true", help="replace an existing database")
    restore.set_defaults(func=cmd_restore)

    retention = sub.add_parser(
        "retention", parents=[common], help="retention of free text"
    ).add_subparsers(dest="retention_command", required=True)
    run = retention.add_parser("run", parents=[common], help="purge what is due now")
    run.set_defaults(func=cmd_retention_run)
