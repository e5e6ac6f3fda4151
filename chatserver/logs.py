"""Structured JSON logs (structlog) that never carry patient data.

:func:`redact` is the last processor before rendering: it drops every key that
can hold patient data or secrets and masks Swedish personal identity numbers
(personnummer / samordningsnummer) and long random tokens in any remaining
string. A test proves message bodies, names, tokens and personnummer never
reach the output.

:class:`RepeatedErrors` keeps an outage from flooding the log: the first
error of a kind is logged in full (with its traceback), repeats only as a
count per interval.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import structlog

# Keys whose values are patient data or secrets: dropped whatever the value.
SENSITIVE_KEYS = frozenset(
    {
        "body",
        "text",
        "name",
        "sender_name",
        "display_name",
        "token",
        "patient_token",
        "password",
        "otp",
        "totp_secret",
        "cookie",
        "csrf_token",
        "session",
        "note",
        "comment",
        "personnummer",
        "pnr",
        "samordningsnummer",
        "personalidentitynumber",  # the Swedish OIDC profile's claim name
        "authorization",
        # Notifications (chatserver/notify): a patient's mobile number, and a push
        # endpoint (a capability URL: whoever has it can push to that browser).
        "phone",
        "endpoint",
        "p256dh",
    }
)
# YYMMDD-NNNN, YYYYMMDDNNNN, with -, + or nothing between (samordningsnummer too).
_PNR = re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)")
# Opaque credentials: patient tokens and session ids are 43 characters of
# base64url; contact ids (32 hex) are not credentials and stay readable.
_TOKEN = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{40,}(?![\w-])")


def _scrub(value: str) -> str:
    return _TOKEN.sub("[token]", _PNR.sub("[pnr]", value))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, dict):
        return {
            k: "[redacted]" if str(k).lower() in SENSITIVE_KEYS else _clean(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def redact(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: drop sensitive keys, scrub every other string."""
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = "[redacted]"
        else:
            event_dict[key] = _clean(event_dict[key])
    return event_dict


def configure(level: str = "info", stream: Any = None) -> None:
    """JSON lines on stderr (or ``stream``), context vars merged in."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper()) if isinstance(level, str) else level
        ),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


# While the same error keeps coming, one line with its count per this many
# seconds; after this long without it, the next one is logged in full again.
REPEAT_LOG_INTERVAL_S = 10.0


@dataclass(slots=True)
class _Burst:
    window_start: float  # start of the interval being counted
    last_at: float  # the latest occurrence
    count: int = 0  # occurrences in this interval not logged yet
    total: int = 1  # occurrences in the whole burst


class RepeatedErrors:
    """Rate-limited error logging: the first ``event`` of a burst is logged in
    full (with its traceback), then one ``<event>_repeated`` line with a count
    per ``interval_s`` while it keeps coming (a full disk failed every write:
    3,190 tracebacks in 30 s before this). :meth:`flush` logs the count of an
    interval that is over even when no later error comes to trigger it."""

    def __init__(
        self,
        logger: Any,
        interval_s: float = REPEAT_LOG_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._interval = interval_s
        self._clock = clock
        self._bursts: dict[str, _Burst] = {}

    def error(self, event: str, exc: BaseException, **fields: Any) -> None:
        now = self._clock()
        burst = self._bursts.get(event)
        if burst is None or now - burst.last_at >= self._interval:
            self._report(event, burst)
            self._log.error(event, exc_info=exc, error=type(exc).__name__, **fields)
            self._bursts[event] = _Burst(window_start=now, last_at=now)
            return
        burst.last_at = now
        burst.count += 1
        burst.total += 1
        if now - burst.window_start >= self._interval:
            self._report(event, burst)
            burst.window_start = now

    def flush(self) -> None:
        """Log the counts of intervals that are over; forget finished bursts."""
        now = self._clock()
        for event, burst in list(self._bursts.items()):
            if now - burst.window_start >= self._interval:
                self._report(event, burst)
                burst.window_start = now
            if now - burst.last_at >= self._interval:
                del self._bursts[event]

    def _report(self, event: str, burst: _Burst | None) -> None:
        if burst is None or burst.count == 0:
            return
        self._log.warning(
            f"{event}_repeated",
            count=burst.count,
            burst_total=burst.total,
            interval_s=self._interval,
        )
        burst.count = 0
