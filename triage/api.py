"""The default engine, built once at import from the packaged rule files.

Importing this module reads and compiles `triage/rules/*.toml`; `assess` itself does
no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from triage.engine import TriageEngine
from triage.model import TriageResult
from triage.rules import load_ruleset

# Loaded once at import: assess() itself does no I/O.
DEFAULT_ENGINE = TriageEngine(load_ruleset())
RULESET_VERSION: str = DEFAULT_ENGINE.ruleset.version


def assess(
    text: str,
    age: int,
    lang: str = "sv",
    answers: Mapping[str, object] | None = None,
) -> TriageResult:
    """Triage a patient's free-text message with the built-in ruleset.

    `age` is in years (0 for infants; out-of-range values are clamped to 0..120).
    `answers` may carry structured follow-up answers: `age_months`, `temperature_c`,
    `outside_hours` (bool), or a concept name mapped to True/False.
    """
    return DEFAULT_ENGINE.assess(text, age, lang, answers)
