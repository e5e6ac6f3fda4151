"""``chatserver keys rotate-totp``: re-seal every staff TOTP secret with a new key.

With the key file (``<data dir>/totp.key``, the default):

1. a new key is put in front of the old ones (every key still opens);
2. every secret is re-sealed with the new key (clear-text ones are sealed);
3. once a second pass finds every secret sealed with the new key, the old
   keys are dropped from the file.

A crash at any step leaves every secret readable; running the command again
finishes the job. Running services read the key at each use, so it may run
while they serve; with several instances on PostgreSQL they must share one
key (``CHATSERVER_TOTP_KEY``).

With ``CHATSERVER_TOTP_KEY`` the command cannot change the key: put the new
key in front of the old one (comma-separated) on every instance, run the
command, then remove the old key (docs/security.md, "TOTP secrets at rest").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from chatserver.access.totp_secrets import keyring_for, reseal_all
from chatserver.audit.cli import record_cli_event
from chatserver.cli.common import settings_from_args, with_storage
from chatserver.security.totp_key import (
    TotpKeyError,
    TotpKeySettings,
    rotate_key_file,
    trim_key_file,
)
from chatserver.settings import Settings
from chatserver.storage.base import Storage

# Passes of step 3: a secret an admin reset while step 2 ran may have been
# sealed with the old key; another pass re-seals it before that key goes.
FINAL_PASSES = 3


def cmd_rotate_totp(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    from_setting = TotpKeySettings().totp_key is not None

    async def run() -> int:
        storage = await with_storage(settings)
        try:
            resealed = await _rotate(storage, settings, from_setting=from_setting)
            if not await record_cli_event(
                storage,
                settings.data_dir,
                "totp_key_rotate",
                detail={"resealed": resealed, "key": "setting" if from_setting else "file"},
            ):
                return 1
        except TotpKeyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            await storage.close()
        where = "the first key of CHATSERVER_TOTP_KEY" if from_setting else "a new key"
        print(f"{resealed} TOTP secrets re-sealed with {where}")
        if from_setting:
            print("now remove the old keys from CHATSERVER_TOTP_KEY on every instance")
        return 0

    return asyncio.run(run())


async def _rotate(storage: Storage, settings: Settings, *, from_setting: bool) -> int:
    if from_setting:
        return await reseal_all(storage, keyring_for(settings))
    keyring_for(settings)  # creates the key file if there is none yet
    rotate_key_file(settings.data_dir)
    resealed = await reseal_all(storage, keyring_for(settings))
    for _ in range(FINAL_PASSES):
        late = await reseal_all(storage, keyring_for(settings))
        resealed += late
        if late == 0:
            trim_key_file(settings.data_dir)
            return resealed
    raise TotpKeyError(
        "secrets kept changing during the rotation; the old key is kept, run it again"
    )


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    keys = sub.add_parser("keys", parents=[common], help="keys of data at rest").add_subparsers(
        dest="keys_command", required=True
    )
    rotate = keys.add_parser(
        "rotate-totp",
        parents=[common],
        help="re-seal every staff TOTP secret with a new key (the old key is then dropped)",
    )
    rotate.set_defaults(func=cmd_rotate_totp)
