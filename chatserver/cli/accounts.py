"""``chatserver user reset-password USERNAME``: a new strong password (and, for
an account with a second factor, a new TOTP secret), printed once.

For the operator who has lost a password (the demo's are printed only at its
first start). The account's sessions end; the event is audited as
``admin_user_reset_password`` (actor: the command line)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys

from chatserver.access.passwords import hash_password
from chatserver.access.sessions import new_totp_secret, provisioning_uri
from chatserver.access.totp_secrets import seal_secret
from chatserver.admin.store import OperationsStore
from chatserver.audit.cli import record_cli_event
from chatserver.cli.common import settings_from_args, with_storage
from chatserver.storage import directory

__all__ = ["PASSWORD_BYTES", "cmd_reset_password", "new_password"]

# 18 random bytes: 24 URL-safe characters, 144 bits (zxcvbn's top score).
PASSWORD_BYTES = 18


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def cmd_reset_password(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    password = new_password()

    async def run() -> int:
        storage = await with_storage(settings)
        try:
            user = await storage.read(directory.get_user_by_username(args.username))
            if user is None:
                print(f"error: no user {args.username!r}", file=sys.stderr)
                return 1
            store = OperationsStore(storage)
            await storage.write(directory.set_password_hash(user.id, hash_password(password)))
            secret = new_totp_secret() if user.totp_secret is not None else None
            if secret is not None:
                await store.set_totp_secret(user.id, seal_secret(settings, secret))
            ended = len(await store.delete_sessions(user.id))
            if not await record_cli_event(
                storage,
                settings.data_dir,
                "admin_user_reset_password",
                detail={
                    "user_id": user.id,
                    "username": user.username,
                    "totp_reset": secret is not None,
                    "sessions_ended": ended,
                },
            ):
                return 1
        finally:
            await storage.close()
        print(f"password {password}")
        if secret is not None:
            print(provisioning_uri(secret, user.username))
            print(f"totp secret {secret}")
        print(
            f"user {user.username}: new password{' and second factor' if secret else ''},"
            f" {ended} session(s) ended",
            file=sys.stderr,
        )
        return 0

    return asyncio.run(run())
