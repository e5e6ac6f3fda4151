"""The statistics as a feature module (``FEATURE_MODULES`` in chatserver/app.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from . import http, warmup
from .store import StatsStore
from .timebuckets import STATS_ZONE, check_whole_hour_zone

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["attach", "routes"]

# Years whose zone rules are checked at start-up: the data of a deployment
# and a generous future (tzdata updates could change the rules).
CHECKED_YEARS = range(2020, 2041)


def attach(state: AppState) -> None:
    """Refuse to start if the statistics zone ever has a non-whole-hour offset:
    grouping by UTC hour (docs/statistics.md) would then be wrong. Build the
    store on the app's database and fill its rollup in the background
    (:mod:`.warmup`)."""
    for year in CHECKED_YEARS:
        check_whole_hour_zone(STATS_ZONE, year)
    days = state.settings.stats_warmup_days
    store = StatsStore(state.storage, clock=state.clock)
    state.extensions.put(store)
    if days > 0:
        state.on_start.append(lambda: state.spawn(warmup.run(store, state.clock, days)))


def routes() -> list[BaseRoute]:
    return http.routes()
