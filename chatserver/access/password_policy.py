"""Which staff passwords are accepted, wherever one is set (admin API, the
``chatserver user add`` command, the self-service change).

The strength is estimated by ``zxcvbn`` (Dropbox's estimator; the PyPI package
ships its lists of common passwords, names, English words and keyboard
patterns), with the account's username and display name as extra words, so a
password built on them scores low. Accepted: at least :data:`MIN_LENGTH`
characters and a score of at least :data:`MIN_SCORE` (0-4; 3 = "safely
unguessable: moderate protection from an offline slow-hash attack", about
10^8 guesses or more). zxcvbn takes at most 72 characters; a longer password
is judged by its first 72 (docs/security.md).

A refusal is 422 ``weak_password`` with zxcvbn's feedback (a warning and
suggestions, in English) and never the password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from zxcvbn import zxcvbn

from chatserver.errors import InvalidInput

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "MIN_SCORE", "WeakPassword", "check", "check_async"]

# NIST SP 800-63B asks for at least 8 with a blocklist; 10 leaves room for the
# score to matter while a four-word passphrase still fits easily.
MIN_LENGTH = 10
MAX_LENGTH = 1024
MIN_SCORE = 3
# zxcvbn refuses longer input (its matching is quadratic in the length).
_ESTIMATED_CHARS = 72


class WeakPassword(InvalidInput):
    """422 ``weak_password``: too short or too easy to guess."""

    def __init__(self, message: str, *, score: int, warning: str, suggestions: list[str]) -> None:
        super().__init__(
            "weak_password",
            message,
            fields={"password": "weak"},
            extra={
                "score": score,
                "min_score": MIN_SCORE,
                "min_length": MIN_LENGTH,
                "feedback": {"warning": warning, "suggestions": suggestions},
            },
        )


def check(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Raise :class:`WeakPassword` unless ``password`` is long and strong enough.
    ``user_inputs``: the username, display name and other words of the account."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"the password must be at least {MIN_LENGTH} characters",
            score=0,
            warning="",
            suggestions=[f"Use at least {MIN_LENGTH} characters."],
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            "invalid_field",
            f"the password must be at most {MAX_LENGTH} characters",
            fields={"password": "too long"},
        )
    words = [w for w in _words(user_inputs) if w]
    result = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=words)
    score = int(result["score"])
    if score < MIN_SCORE:
        feedback = result.get("feedback") or {}
        raise WeakPassword(
            "the password is too easy to guess",
            score=score,
            warning=str(feedback.get("warning") or ""),
            suggestions=[str(s) for s in feedback.get("suggestions") or []],
        )


async def check_async(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """:func:`check` off the event loop (zxcvbn takes tens of milliseconds)."""
    words = list(user_inputs)
    await asyncio.to_thread(check, password, user_inputs=words)


def _words(user_inputs: Iterable[str]) -> list[str]:
    """Each input whole and split into its parts ("anna.svensson" → also
    "anna", "svensson"), lower-cased."""
    out: list[str] = []
    for raw in user_inputs:
        text = raw.strip().lower()
        out.append(text)
        out.extend(p for p in _split(text) if len(p) >= 3 and p != text)
    return out


def _split(text: str) -> list[str]:
    parts, cur = [], []
    for ch in text:
        if ch.isalnum():
            cur.append(ch)
        elif cur:
            parts.append("".join(cur))
            cur = []
    if cur:
        parts.append("".join(cur))
    return parts
