"""The dashboard's tables, built from the figures (pure). One source for the
HTML data tables, the CSV downloads, the SVG charts and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatserver import csv_cells

from .channel_shift import NOT_SHIFTED_OUTCOMES, ChannelBucket
from .operations import LEVELS, OUTCOMES
from .records import ContactRow
from .timebuckets import STATS_ZONE

__all__ = [
    "CONTACT_EXPORT_HEADER",
    "TABLE_NAMES",
    "Table",
    "channel_table",
    "contact_export",
    "operations_tables",
    "to_csv",
]

TABLE_NAMES = (
    "channel_shift",
    "summary",
    "durations",
    "outcomes",
    "triage_levels",
    "triage_overrides",
    "busiest_hours",
    "concurrency",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "header": list(self.header),
            "rows": [list(r) for r in self.rows],
        }


def to_csv(table: Table) -> str:
    """The table as CSV, formula-escaped (:mod:`chatserver.csv_cells`): staff
    display names and unit names are text that others chose."""
    return csv_cells.to_csv(table.header, table.rows)


def channel_table(buckets: Sequence[ChannelBucket]) -> Table:
    header = (
        "start",
        "chat_contacts",
        "chat_resolved",
        "shifted_from_physical",
        "physical_visits",
        "phone_contacts",
        "video_visits",
        "chat_share",
    )
    # A share without imported visit counts would read 100 %: None ("no data").
    rows = [(*(b.to_dict()[h] for h in header[:-1]), b.known_share) for b in buckets]
    return Table("channel_shift", header, rows)


def operations_tables(ops: dict[str, Any]) -> dict[str, Table]:
    sat = ops["satisfaction"] or {}
    summary = [
        ("contacts", ops["contacts"]),
        ("emergency_advised", ops["emergency_advised"]),
        ("queued", ops["queued"]),
        ("picked", ops["picked"]),
        ("abandoned", ops["abandoned"]["count"]),
        ("abandonment_rate", ops["abandoned"]["rate"]),
        ("triage_overrides_up", ops["triage_overrides"]["up"]),
        ("triage_overrides_down", ops["triage_overrides"]["down"]),
        ("satisfaction_mean", sat.get("mean_rating")),
        ("satisfaction_response_rate", sat.get("response_rate")),
        ("concurrency_peak", ops["concurrency"]["peak"]),
    ]
    durations = [
        (name, *(ops[name][k] for k in ("count", "median_s", "p90_s", "mean_s")))
        for name in ("waiting_to_pick", "first_staff_reply", "handling")
    ]
    levels = ops["triage_levels"]
    return {
        "summary": Table("summary", ("figure", "value"), summary),
        "durations": Table(
            "durations", ("figure", "count", "median_s", "p90_s", "mean_s"), durations
        ),
        "outcomes": Table(
            "outcomes",
            ("outcome", "contacts"),
            [(o, ops["outcomes"][o]) for o in (*OUTCOMES, "open")],
        ),
        "triage_levels": Table(
            "triage_levels",
            ("level", "intake", "current"),
            [(lv, levels["intake"][lv], levels["current"][lv]) for lv in LEVELS],
        ),
        "triage_overrides": Table(
            "triage_overrides",
            ("from", "to", "count"),
            [(t["from"], t["to"], t["count"]) for t in ops["triage_overrides"]["transitions"]],
        ),
        "busiest_hours": Table(
            "busiest_hours",
            ("weekday", *(f"h{h:02d}" for h in range(24))),
            [(WEEKDAYS[d], *row) for d, row in enumerate(ops["busiest_hours"])],
        ),
        "concurrency": Table(
            "concurrency",
            ("user_id", "display_name", "assignments", "peak", "mean"),
            [
                (s["user_id"], s["display_name"], s["assignments"], s["peak"], s["mean"])
                for s in ops["concurrency"]["staff"]
            ],
        ),
    }


CONTACT_EXPORT_HEADER = (
    "unit_id",
    "queue_id",
    "local_date",
    "local_hour",
    "weekday",
    "status",
    "outcome",
    "intake_level",
    "level",
    "would_otherwise",
    "emergency_acknowledged",
    "waiting_s",
    "first_reply_s",
    "handling_s",
    "abandoned",
    "resolved_in_chat",
    "shifted_from_physical",
)


def _secs(later: float | None, earlier: float | None) -> int | None:
    if later is None or earlier is None:
        return None
    return int(round(max(0.0, later - earlier), 3))


def contact_export(rows: Sequence[ContactRow]) -> Table:
    """One row per contact with no name, text, age or identity number, and the
    intake time only to the local hour (a minute-exact time and unit could
    single out a patient)."""
    out: list[tuple[Any, ...]] = []
    for r in rows:
        local = datetime.fromtimestamp(r.created_at, tz=UTC).astimezone(STATS_ZONE)
        outcome = "referred_emergency" if r.status == "emergency_advised" else r.outcome
        closed = r.status == "closed"
        out.append(
            (
                r.unit_id,
                r.queue_id,
                local.date().isoformat(),
                local.hour,
                WEEKDAYS[local.weekday()],
                r.status,
                outcome,
                r.intake_level,
                r.level,
                r.would_otherwise,
                int(r.emergency_acknowledged),
                _secs(r.first_picked_at, r.queued_at),
                _secs(r.first_staff_reply_at, r.queued_at),
                _secs(r.closed_at, r.first_picked_at) if closed else None,
                int(
                    closed
                    and r.queued_at is not None
                    and r.first_picked_at is None
                    and r.outcome == "patient_left"
                ),
                int(closed and r.outcome == "resolved_in_chat"),
                int(
                    closed
                    and r.would_otherwise == "physical_visit"
                    and r.outcome not in NOT_SHIFTED_OUTCOMES
                ),
            )
        )
    return Table("contacts", CONTACT_EXPORT_HEADER, out)
