"""Second-factor codes (TOTP, RFC 6238): which time step a code belongs to.

Pure: the caller passes the time. That a step's code signs in only once (no
replay, RFC 6238 section 5.2) is recorded in storage (``use_totp_step``,
table ``totp_used_steps``), so it holds across instances and restarts.
"""

from __future__ import annotations

import hmac

import pyotp

__all__ = ["DRIFT_STEPS", "FORGET_AFTER_STEPS", "current_step", "matching_step"]

# One step either side tolerates clock drift between the phone and the server
# (RFC 6238 section 5.2 recommends at most one).
DRIFT_STEPS = 1
# Used steps are forgotten this far behind the current one. Only the drift
# window (one step back) is ever accepted; the margin keeps a replay refused
# even between instances whose clocks differ by up to five minutes.
FORGET_AFTER_STEPS = 10


def current_step(secret: str, now: float) -> int:
    return int(now // pyotp.TOTP(secret).interval)


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step within the drift window whose code is ``code``, or None."""
    totp = pyotp.TOTP(secret)
    code = code.strip().replace(" ", "")
    if not code.isascii():
        return None  # compare_digest refuses non-ASCII text; no code contains any
    step = int(now // totp.interval)
    for delta in (0, *(d for k in range(1, DRIFT_STEPS + 1) for d in (-k, k))):
        if hmac.compare_digest(totp.at((step + delta) * totp.interval), code):
            return step + delta
    return None
