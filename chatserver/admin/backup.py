"""Online backup and restore of the embedded SQLite database.

:func:`backup_sqlite` uses SQLite's online backup API in ONE step: the copy
is a consistent snapshot of the last commit, taken under a read transaction,
and in WAL mode that never blocks the running service's writer. (A stepwise
backup restarts whenever another connection writes, so under a busy service
it might never finish.) The copy is written to a temporary file next to the
target, checked with ``PRAGMA quick_check``, fsynced and renamed into place,
so PATH is either the old file or a complete new backup. Backups and restored
files are created 0600 (directories 0700): they hold patient data.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from chatserver.security.files import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE
from chatserver.storage.sqlite_connection import BUSY_TIMEOUT_MS

SQLITE_SUFFIXES = ("", "-wal", "-shm")


class BackupError(Exception):
    """The backup or restore could not be made (message says why)."""


def _check(conn: sqlite3.Connection) -> None:
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"integrity check failed: {result}")


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the live database ``source`` to ``target``; returns its size in bytes."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if target.resolve() == source.resolve():
        raise BackupError("the backup must not replace the database itself")
    target.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    tmp.unlink(missing_ok=True)
    _create_private(tmp)  # patient data: 0600 whatever the umask
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # pages=-1: one step, one consistent snapshot
            # A single file is easier to move around than a WAL database.
            dst.execute("PRAGMA journal_mode = DELETE")
            _check(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from None
    finally:
        src.close()
    _fsync(tmp)
    os.replace(tmp, target)
    _fsync_dir(target.parent)
    return target.stat().st_size


def restore_sqlite(backup: Path, database: Path, *, force: bool) -> None:
    """Install ``backup`` as ``database`` (the service must be stopped)."""
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    try:
        conn = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        try:
            _check(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"not a usable SQLite database: {exc}") from None
    if database.exists() and not force:
        raise BackupError(f"{database} exists; stop the service and pass --force to replace it")
    database.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    tmp = database.with_name(f".{database.name}.restoring")
    tmp.unlink(missing_ok=True)
    _create_private(tmp)
    tmp.write_bytes(backup.read_bytes())
    _fsync(tmp)
    # The old WAL belongs to the old database: applied to the restored file it
    # would corrupt it.
    for suffix in SQLITE_SUFFIXES[1:]:
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, database)
    _fsync_dir(database.parent)


def _create_private(path: Path) -> None:
    """An empty file readable and writable by this account only (0600)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem allows it
        _fsync(path)
