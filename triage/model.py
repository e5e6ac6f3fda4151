"""Domain types of the triage result: levels, reasons, advice and the result itself.

These are the only shapes the chat server sees; `to_dict()` is the one place that knows
their JSON form.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# The topic tags of the triage-cases README; rule files may use no others.
TAGS: frozenset[str] = frozenset(
    {
        "respiratory",
        "cardiac",
        "neuro",
        "skin",
        "mental_health",
        "urinary",
        "gastro",
        "musculoskeletal",
        "ent",
        "eye",
        "pregnancy",
        "child",
        "medication",
        "test_results",
        "admin",
        "infection",
        "injury",
        "allergy",
    }
)

# Languages that every phrasing list and every advice text must exist in.
LANGUAGES: tuple[str, ...] = ("sv", "en")


# The chat server's API contract is a str-mixin Enum (JSON-friendly, compares to
# plain strings); StrEnum would change str() output, so keep the mixin.
class Level(str, enum.Enum):  # noqa: UP042
    """Urgency level, most urgent first."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    STANDARD = "standard"
    NON_URGENT = "non_urgent"

    @property
    def rank(self) -> int:
        """0 for emergency up to 3 for non_urgent, so `min()` picks the most urgent."""
        return _RANKS[self]


# The declaration order above is the one urgency order (chatserver.core.urgency uses it too).
_RANKS = {level: i for i, level in enumerate(Level)}


@dataclass(frozen=True)
class Reason:
    """One rule that fired, with the words of the patient's text that made it fire."""

    rule_id: str
    level: Level
    matched: tuple[str, ...]
    # Set when the learned safety net (not a rule) raised the level: the model's name
    # and version, and its probability for that level.
    model: str | None = None
    probability: float | None = None
    # Set when a yes to a screen or follow-up question raised the level: its id.
    question: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (`model` and `probability` only for a raise by the safety net,
        `question` only for a yes to a screen or follow-up question)."""
        out: dict[str, object] = {
            "rule_id": self.rule_id,
            "level": self.level.value,
            "matched": list(self.matched),
        }
        if self.model is not None:
            out["model"] = self.model
            out["probability"] = self.probability
        if self.question is not None:
            out["question"] = self.question
        return out


@dataclass(frozen=True)
class Advice:
    """What to tell the patient at a level, in one language."""

    level: Level
    lang: str
    text: str
    phone_numbers: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "level": self.level.value,
            "lang": self.lang,
            "text": self.text,
            "phone_numbers": list(self.phone_numbers),
        }


@dataclass(frozen=True)
class TriageResult:
    """Outcome of `assess`: level, topic tags, the rules that fired and the advice."""

    level: Level
    tags: frozenset[str]
    reasons: tuple[Reason, ...]
    advice: Advice
    ruleset_version: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (the advice travels separately, see `Advice.to_dict`)."""
        return {
            "level": self.level.value,
            "tags": sorted(self.tags),
            "reasons": [reason.to_dict() for reason in self.reasons],
            "ruleset_version": self.ruleset_version,
        }
