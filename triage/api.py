"""The default engine, built once at import from the packaged rule files and model.

Importing this module reads and compiles `triage/rules/*.toml` and loads the safety
net's weights (`triage/learned/model.json`); `assess` itself does no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from triage.engine import TriageEngine
from triage.learned.escalate import assess_with_net
from triage.learned.net import Model
from triage.model import TriageResult
from triage.rules import load_ruleset

# Loaded once at import: assess() itself does no I/O.
DEFAULT_ENGINE = TriageEngine(load_ruleset())
SAFETY_NET = Model.load()
RULESET_VERSION: str = DEFAULT_ENGINE.ruleset.version
MODEL_VERSION: str = SAFETY_NET.label


def assess_rules(
    text: str,
    age: int,
    lang: str = "sv",
    answers: Mapping[str, object] | None = None,
) -> TriageResult:
    """The rules alone (for evaluation and for comparing against the combined engine)."""
    return DEFAULT_ENGINE.assess(text, age, lang, answers)


def assess(
    text: str,
    age: int,
    lang: str = "sv",
    answers: Mapping[str, object] | None = None,
) -> TriageResult:
    """Triage a patient's free-text message: the rules, then the escalate-only safety net.

    `age` is in years (0 for infants; out-of-range values are clamped to 0..120).
    `answers` may carry structured follow-up answers: `age_months`, `temperature_c`,
    `outside_hours` (bool), or a concept name mapped to True/False.
    """
    return assess_with_net(DEFAULT_ENGINE, SAFETY_NET, text, age, lang, answers)
