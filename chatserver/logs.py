"""Structured JSON logs (structlog) that never carry patient data.

:func:`redact` is the last processor before rendering: it drops every key that
can hold patient data or secrets and masks Swedish personal identity numbers
(personnummer / samordningsnummer) and long random tokens in any remaining
string. A test proves message bodies, names, tokens and personnummer never
reach the output.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
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
