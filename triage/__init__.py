"""Rule-based triage of patient chat messages (pure: no I/O at call time, no asyncio).

Public API::

    from triage import assess, Level
    result = assess("ont i bröstet och kallsvettig", age=58, lang="sv")
    result.level      # Level.EMERGENCY
    result.advice     # Advice(... phone_numbers=("112",))

The rules live in `triage/rules/*.toml` and are loaded once, when `assess` or
`RULESET_VERSION` is first imported; `python -m triage check` validates them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from triage.advice import advice_for
from triage.model import Advice, Level, Reason, TriageResult
from triage.rules import RulesetError

if TYPE_CHECKING:  # pragma: no cover - the real import is lazy, see __getattr__
    from triage.api import RULESET_VERSION, assess

__all__ = [
    "RULESET_VERSION",
    "Advice",
    "Level",
    "Reason",
    "RulesetError",
    "TriageResult",
    "advice_for",
    "assess",
]

_LAZY = frozenset({"RULESET_VERSION", "assess"})


def __getattr__(name: str) -> object:
    # The rule files are compiled on first use of the engine rather than on
    # `import triage`, so that `python -m triage check` can report broken rule files
    # cleanly instead of failing inside the package import.
    if name in _LAZY:
        from triage import api  # noqa: PLC0415

        return getattr(api, name)
    raise AttributeError(f"module 'triage' has no attribute {name!r}")
