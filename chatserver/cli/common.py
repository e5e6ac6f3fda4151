"""What every ``chatserver`` subcommand shares: settings from the flags, an
open storage, and creating a unit or a user (also used by ``serve --demo`` and
the admin API). Imports no subcommand, so every subcommand may import it."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from chatserver.settings import Settings
from chatserver.storage.base import Queue, Storage, Unit

__all__ = ["HelpParser", "add_unit", "add_user", "settings_from_args", "with_storage"]


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, or with "(required)" for a
    required option; not for a default of None (the help says what happens)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.required and action.option_strings:
            return f"{action.help} (required)"
        if action.default is None or action.required:
            return action.help
        return super()._get_help_string(action)


class HelpParser(argparse.ArgumentParser):
    """The parser of ``chatserver`` and (through ``add_subparsers``, which makes
    its own class) of every subcommand: help shows defaults."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = Path(args.data_dir)
    for key in ("host", "port"):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = value
    return Settings(**overrides)  # type: ignore[arg-type]


async def with_storage(settings: Settings) -> Storage:
    from chatserver.app import open_storage  # noqa: PLC0415

    storage = open_storage(settings)
    await storage.open()
    return storage


async def add_unit(
    storage: Storage,
    unit_id: str,
    name: str,
    *,
    always_open: bool,
    rollout: str = "live",
    identification: str | None = None,
) -> Unit:
    unit = Unit(
        id=unit_id,
        name=name,
        always_open=always_open,
        rollout=rollout,
        created_at=time.time(),
        identification=identification,
    )
    queues = [
        Queue(id=f"{unit_id}:nurse", unit_id=unit_id, competence="nurse", name="Sjuksköterska")
    ]
    await storage.add_unit(unit, queues)
    return unit


async def add_user(
    storage: Storage,
    settings: Settings,
    username: str,
    password: str,
    role: str,
    unit_ids: Sequence[str],
    display_name: str | None = None,
    *,
    first_sign_in: bool = False,
) -> tuple[int, str | None]:
    """Create a user; returns (id, otpauth URI or None). The password must pass
    :mod:`chatserver.access.password_policy` (``WeakPassword`` otherwise).

    ``first_sign_in`` (the admin API): the user changes the password and enrols
    their own second factor at the first sign-in; nobody else sees the secret.
    Otherwise (``chatserver user add`` on the server, ``serve --demo``, tests)
    the account is ready: a second factor is made now and its URI returned."""
    from chatserver.access import password_policy  # noqa: PLC0415
    from chatserver.access.passwords import hash_password  # noqa: PLC0415
    from chatserver.access.sessions import new_totp_secret, provisioning_uri  # noqa: PLC0415
    from chatserver.access.totp_secrets import seal_secret  # noqa: PLC0415

    shown = display_name or username
    await password_policy.check_async(password, user_inputs=(username, shown))
    secret = new_totp_secret() if settings.require_otp and not first_sign_in else None
    user = await storage.add_user(
        username=username,
        display_name=shown,
        role=role,
        password_hash=hash_password(password),
        totp_secret=seal_secret(settings, secret) if secret else None,
        unit_ids=list(unit_ids),
        created_at=time.time(),
        must_change_password=first_sign_in,
    )
    return user.id, provisioning_uri(secret, username) if secret else None
