"""Channel shift: chat contacts against the visits of the other channels (pure).

PROTOCOL.md "Statistics" defines each field; docs/statistics.md repeats the
definitions with the time stamps used. Chat figures arrive per UTC hour from
the store and are summed into local days here; imported visit counts are
already per local day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from .timebuckets import STATS_ZONE, bucket_start, bucket_starts, local_hour_of

__all__ = [
    "CHANNELS",
    "ChannelBucket",
    "ChatCounts",
    "build_buckets",
    "chat_by_day",
    "chat_share",
]

# Imported channels and the bucket field each one feeds.
CHANNELS = {"physical": "physical_visits", "phone": "phone_contacts", "video": "video_visits"}
# Outcomes after which the patient still went somewhere else in person or to
# another provider, so the chat did not replace the physical visit.
NOT_SHIFTED_OUTCOMES = frozenset(
    {"physical_visit_booked", "referred_emergency", "referred_other_unit"}
)


@dataclass(frozen=True, slots=True)
class ChatCounts:
    contacts: int = 0
    resolved: int = 0
    shifted_from_physical: int = 0

    def __add__(self, other: ChatCounts) -> ChatCounts:
        return ChatCounts(
            self.contacts + other.contacts,
            self.resolved + other.resolved,
            self.shifted_from_physical + other.shifted_from_physical,
        )


@dataclass(frozen=True, slots=True)
class ChannelBucket:
    start: date
    chat: ChatCounts
    physical_visits: int
    phone_contacts: int
    video_visits: int
    # Whether any visit count (even 0) was imported for a day of the bucket:
    # without one, chat_share (PROTOCOL.md: chat / (chat + 0)) is 1.0 and
    # says nothing, so the dashboard shows "no data" instead.
    visits_imported: bool = True

    @property
    def known_share(self) -> float | None:
        """``chat_share``, or None when no visit counts were imported."""
        return self.chat_share if self.visits_imported else None

    @property
    def chat_share(self) -> float:
        return chat_share(
            self.chat.contacts, self.physical_visits, self.phone_contacts, self.video_visits
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "chat_contacts": self.chat.contacts,
            "chat_resolved": self.chat.resolved,
            "shifted_from_physical": self.chat.shifted_from_physical,
            "physical_visits": self.physical_visits,
            "phone_contacts": self.phone_contacts,
            "video_visits": self.video_visits,
            "chat_share": self.chat_share,
            "visits_imported": self.visits_imported,
        }


def chat_share(chat: int, physical: int, phone: int, video: int) -> float:
    """chat / (chat + physical + phone + video); 0.0 when nothing happened."""
    total = chat + physical + phone + video
    return chat / total if total else 0.0


def chat_by_day(
    hourly: Iterable[tuple[int, ChatCounts]], zone: ZoneInfo = STATS_ZONE
) -> dict[date, ChatCounts]:
    """Sum ``(utc_hour, counts)`` rows into local calendar days."""
    out: dict[date, ChatCounts] = {}
    for utc_hour, counts in hourly:
        day = local_hour_of(utc_hour, zone).date()
        out[day] = out.get(day, ChatCounts()) + counts
    return out


def build_buckets(
    first: date,
    last: date,
    bucket: str,
    chat: Mapping[date, ChatCounts],
    visits: Mapping[tuple[date, str], int],
) -> list[ChannelBucket]:
    """One bucket per day/week/month overlapping ``first``..``last`` (empty ones
    included, so charts have no gaps); only days inside the period count, so a
    week cut by the period's edge holds just its days inside the period."""
    starts = bucket_starts(first, last, bucket)
    chat_sums = {s: ChatCounts() for s in starts}
    visit_sums = {s: dict.fromkeys(CHANNELS, 0) for s in starts}
    imported: set[date] = set()
    for day, counts in chat.items():
        if first <= day <= last:
            key = bucket_start(day, bucket)
            chat_sums[key] = chat_sums[key] + counts
    for (day, channel), count in visits.items():
        if first <= day <= last and channel in CHANNELS:
            key = bucket_start(day, bucket)
            visit_sums[key][channel] += count
            imported.add(key)
    return [
        ChannelBucket(
            start=s,
            chat=chat_sums[s],
            physical_visits=visit_sums[s]["physical"],
            phone_contacts=visit_sums[s]["phone"],
            video_visits=visit_sums[s]["video"],
            visits_imported=s in imported,
        )
        for s in starts
    ]
