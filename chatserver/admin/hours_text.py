"""Opening hours as one line of text (pure), for the command line:
``mon–fri 08:00–17:00; sat–sun closed``."""

from __future__ import annotations

from chatserver.admin.hours import DAYS, Hours, Interval

__all__ = ["describe_week"]


def _day_text(intervals: tuple[Interval, ...]) -> str:
    if not intervals:
        return "closed"
    return ", ".join(
        f"{s.strftime('%H:%M')}–{e.strftime('%H:%M') if e else '24:00'}" for s, e in intervals
    )


def describe_week(hours: Hours) -> str:
    """Consecutive weekdays with the same hours share one range."""
    groups: list[tuple[int, int, str]] = []
    for day in range(7):
        text = _day_text(hours.weekly.get(day, ()))
        if groups and groups[-1][2] == text:
            groups[-1] = (groups[-1][0], day, text)
        else:
            groups.append((day, day, text))
    return "; ".join(f"{DAYS[a]}{'' if a == b else '–' + DAYS[b]} {text}" for a, b, text in groups)
