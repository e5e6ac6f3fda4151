"""The signed chain head, kept in a file apart from the database.

Written atomically (temporary file, fsync, rename) after events are appended,
never moving backwards, under an ``flock`` so the server and a CLI command
writing at once do not interleave. See :mod:`chatserver.audit.chain`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import orjson

from chatserver.audit.chain import Checkpoint


class CheckpointError(Exception):
    """The checkpoint file exists but cannot be read as a checkpoint."""


def read_checkpoint(path: Path) -> Checkpoint | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = orjson.loads(raw)
        return Checkpoint(seq=int(data["seq"]), hash=str(data["hash"]), mac=str(data["mac"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"unreadable checkpoint {path}") from exc


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_checkpoint(path: Path, checkpoint: Checkpoint) -> bool:
    """Replace the checkpoint if ``checkpoint`` is newer; True when written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        try:
            current = read_checkpoint(path)
        except CheckpointError:
            current = None  # overwrite garbage with a valid head
        if current is not None and current.seq >= checkpoint.seq:
            return False
        tmp = path.with_name(path.name + ".tmp")
        data = orjson.dumps({"seq": checkpoint.seq, "hash": checkpoint.hash, "mac": checkpoint.mac})
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    return True
