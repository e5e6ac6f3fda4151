"""Administration: what admins set and the upkeep it drives (docs/operations.md).

Opening hours and capacity (the intake gate), the disruption banner,
escalation of long waits, absence handling, gradual rollout, retention,
backup, and the administration API behind ``/admin``.

A feature module (``FEATURE_MODULES`` in :mod:`chatserver.app`):
:func:`attach` installs the hooks and the sweeper; :func:`routes` adds the
HTTP routes. The CLI (``chatserver backup``, ``chatserver retention run``)
is :mod:`chatserver.admin.cli`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from chatserver.admin import api as admin_api
from chatserver.admin import closing_api
from chatserver.admin.hours import DEFAULT_HOURS, Hours, Status, parse_hours, status
from chatserver.admin.service import Operations, attach_hooks, of
from chatserver.admin.store import Banner, OperationsStore
from chatserver.admin.sweeper import Sweeper

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = [
    "DEFAULT_HOURS",
    "Banner",
    "Hours",
    "Operations",
    "OperationsStore",
    "Status",
    "Sweeper",
    "attach",
    "of",
    "parse_hours",
    "routes",
    "status",
    "sweeper_of",
]


def attach(state: AppState) -> None:
    ops = Operations(state, OperationsStore(state.storage))
    sweeper = Sweeper(state, ops)
    attach_hooks(state, ops)
    state.extensions.put(sweeper)

    async def start() -> None:
        await ops.load_hours()
        await ops.load_banner()
        # Announce nothing at start: clients get the banner in their welcome.
        active = ops.active_banner(state.clock())
        ops.mark_announced(active["id"] if active else None)
        await sweeper.adopt_orphans()
        if ops.background:
            state.spawn(sweeper.run())

    state.on_start.append(start)


def sweeper_of(state: AppState) -> Sweeper:
    """The app's sweeper (tests call ``sweeper_of(state).sweep_once(now)``)."""
    return state.extensions.get(Sweeper)


def routes() -> list[BaseRoute]:
    return [*admin_api.routes(), *closing_api.routes()]
