"""Data at rest: who may read the data directory and what is in it.

The data directory holds the SQLite database with its ``-wal`` and ``-shm``
files (patient text, password hashes, sealed TOTP secrets), the audit key,
the TOTP key and the audit checkpoint. Only the service's own account may
read any of it:

* every ``chatserver`` command runs under umask 077 (:func:`restrict_umask`),
  so whatever it creates (database, WAL, SHM, keys, backups) is 0600 and
  every directory 0700;
* ``chatserver serve`` checks the data directory before it starts
  (:func:`secure_data_dir`): the directory is made 0700 and each entry in it
  0600 (a directory 0700), and each change is logged as a warning
  (``data_path_mode_fixed``). An entry it cannot change (owned by another
  account) stops the start with a message naming it. Fixing rather than
  refusing is deliberate: data directories made by older versions are 0755
  with 0644 files, and a start that refuses would leave them that way.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "UMASK",
    "DataDirError",
    "ModeFix",
    "restrict_umask",
    "secure_data_dir",
]

UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class DataDirError(Exception):
    """The data directory or an entry in it cannot be made private (message says which)."""


@dataclass(frozen=True, slots=True)
class ModeFix:
    """One entry whose permissions were narrowed: its path and old and new modes."""

    path: Path
    old_mode: int
    new_mode: int


def restrict_umask() -> int:
    """Make everything this process creates private to its account; returns the old umask."""
    return os.umask(UMASK)


def secure_data_dir(data_dir: Path) -> list[ModeFix]:
    """Create ``data_dir`` (0700) if missing, then narrow the directory to 0700 and
    each entry directly in it to 0600 (directories 0700). Symbolic links are left
    alone (their mode means nothing; what they point to is not ours to change).

    Returns what was changed; raises :class:`DataDirError` for what cannot be.
    """
    try:
        data_dir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(f"cannot create the data directory {data_dir}: {exc}") from None
    if not data_dir.is_dir():
        raise DataDirError(f"the data directory {data_dir} is not a directory")
    fixes: list[ModeFix] = []
    # The directory itself may be a symbolic link to the real one (a volume).
    _narrow(data_dir, os.stat(data_dir).st_mode, PRIVATE_DIR_MODE, fixes)
    for entry in sorted(data_dir.iterdir()):
        mode = os.lstat(entry).st_mode
        if stat.S_ISDIR(mode):
            _narrow(entry, mode, PRIVATE_DIR_MODE, fixes)
        elif stat.S_ISREG(mode):
            _narrow(entry, mode, PRIVATE_FILE_MODE, fixes)
    return fixes


def _narrow(path: Path, mode: int, wanted: int, fixes: list[ModeFix]) -> None:
    old = stat.S_IMODE(mode)
    if old & ~wanted == 0:
        return  # no more than wanted (0400 for a key stays 0400)
    new = old & wanted
    try:
        os.chmod(path, new)
    except OSError as exc:
        raise DataDirError(
            f"{path} has mode {old:04o} and cannot be made {new:04o} ({exc.strerror}); "
            f"make it {new:04o} and owned by the service's account"
        ) from None
    fixes.append(ModeFix(path, old, new))
