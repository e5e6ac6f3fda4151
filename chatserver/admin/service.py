"""The operations service of one app: opening hours, the banner, and the hooks
it installs on :class:`~chatserver.app.AppState`.

``unit_status`` and ``unit_gate`` are synchronous hooks, so opening hours and
the active banner are held in memory: loaded at start, updated by the admin
API, and reloaded by every sweep (so a change made on another instance or by
the CLI arrives within ``operations_sweep_s``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chatserver.admin.holiday_store import opted_out_units
from chatserver.admin.hours import DEFAULT_HOURS, TZ, Hours, Status, parse_hours, status
from chatserver.admin.public_holidays import next_holidays
from chatserver.admin.store import Banner, OperationsStore
from chatserver.errors import StateConflict
from chatserver.flow.intake import ALTERNATIVES
from chatserver.logs import get_logger
from chatserver.storage.base import Unit
from chatserver.ws import wire

if TYPE_CHECKING:
    from chatserver.state import AppState

log = get_logger("chatserver.admin")

# Banners kept in the history answered by the admin API.
BANNER_HISTORY = 50
# Upcoming public holidays listed per unit by the admin API (/admin shows them).
HOLIDAYS_SHOWN = 5


class Operations:
    def __init__(self, state: AppState, store: OperationsStore) -> None:
        self.state = state
        self.store = store
        self.hours: dict[str, Hours] = {}
        # Units that opted out of closing on public holidays (migration 0018).
        self.holiday_opt_outs: frozenset[str] = frozenset()
        self.banner: Banner | None = None
        # The banner clients were last told about (None = none shown).
        self._announced: int | None = None
        # False in one-shot CLI runs: no background sweeper.
        self.background = True

    # -- caches ------------------------------------------------------------
    async def load_hours(self) -> None:
        loaded: dict[str, Hours] = {}
        for unit_id, doc in (await self.store.all_hours()).items():
            try:
                loaded[unit_id] = parse_hours(doc)
            except Exception:  # a bad row must not stop the service
                log.exception("bad_opening_hours", unit_id=unit_id)
        self.hours = loaded
        self.holiday_opt_outs = await self.store.db.read(opted_out_units())

    async def load_banner(self) -> None:
        latest = await self.store.banners(1)
        self.banner = latest[0] if latest else None

    def hours_of(self, unit: Unit) -> Hours | None:
        """None = always open."""
        if unit.always_open:
            return None
        hours = self.hours.get(unit.id, DEFAULT_HOURS)
        return replace(hours, public_holidays=unit.id not in self.holiday_opt_outs)

    def holidays_of(self, unit: Unit, now: float) -> dict[str, Any]:
        """Whether the unit closes on public holidays, and the next ones (admin API)."""
        today = datetime.fromtimestamp(now, TZ).date()
        return {
            "public_holidays": unit.id not in self.holiday_opt_outs,
            "next_holidays": [
                {"date": d.isoformat(), "name": name}
                for d, name in next_holidays(today, HOLIDAYS_SHOWN)
            ],
        }

    def status_of(self, unit: Unit, now: float) -> Status | None:
        hours = self.hours_of(unit)
        if hours is None:
            return None
        return status(hours, now, self.state.settings.intake_stop_before_close_min)

    # -- AppState hooks ------------------------------------------------------
    def unit_status(self, unit: Unit, now: float) -> dict[str, Any]:
        st = self.status_of(unit, now)
        if st is None:
            return {"open": True, "always_open": True, "next_change": None, "next_open": None}
        return {
            "always_open": False,
            "hours_configured": unit.id in self.hours,
            **st.to_dict(),
        }

    def unit_gate(self, unit: Unit, now: float) -> None:
        st = self.status_of(unit, now)
        if st is None or st.open:
            return
        raise StateConflict(
            "unit_closed",
            "the chat is closed now",
            extra={"next_open": st.to_dict()["next_open"], "alternatives": ALTERNATIVES},
        )

    def welcome_extra(self, role: str) -> dict[str, Any]:
        return {"banner": self.active_banner(self.state.clock())}

    # -- banner --------------------------------------------------------------
    def active_banner(self, now: float) -> dict[str, Any] | None:
        b = self.banner
        return b.to_dict() if b is not None and b.active_at(now) else None

    def mark_announced(self, banner_id: int | None) -> None:
        self._announced = banner_id

    async def announce_banner(self, now: float) -> None:
        """Push ``banner`` to every client when the active banner changed."""
        active = self.active_banner(now)
        current = active["id"] if active else None
        if current == self._announced:
            return
        self._announced = current
        await self.state.fanout.publish("all", None, wire.BannerFrame(active))

    async def publish_banner(
        self,
        *,
        severity: str,
        message_sv: str,
        message_en: str,
        ends_at: float | None,
        by: int | None,
    ) -> Banner:
        now = self.state.clock()
        self.banner = await self.store.add_banner(
            severity=severity,
            message_sv=message_sv,
            message_en=message_en,
            at=now,
            by=by,
            ends_at=ends_at,
        )
        await self.announce_banner(now)
        return self.banner

    async def end_banner(self, banner_id: int, by: int | None) -> Banner | None:
        now = self.state.clock()
        ended = await self.store.end_banner(banner_id, at=now, by=by)
        if ended is not None and self.banner is not None and self.banner.id == ended.id:
            self.banner = ended
        await self.announce_banner(now)
        return ended


@dataclass(frozen=True, slots=True)
class _OpeningHours:
    """The core's :class:`~chatserver.hooks.OpeningPolicy` from the unit's hours."""

    ops: Operations

    def status(self, unit: Unit, now: float) -> dict[str, Any]:
        return self.ops.unit_status(unit, now)

    def gate(self, unit: Unit, now: float) -> None:
        self.ops.unit_gate(unit, now)


def attach_hooks(state: AppState, ops: Operations) -> None:
    """Fill the core's slots: opening hours gate intake, the banner joins welcome."""
    state.hooks.opening = _OpeningHours(ops)
    state.hooks.welcome_extra = ops.welcome_extra
    state.extensions.put(ops)


def of(state: AppState) -> Operations:
    """The app's operations service (tests, CLI)."""
    return state.extensions.get(Operations)
