"""Scoring with the stored model, and the escalate-only decision. Pure; loaded once.

The model file holds, per feature, one weight per head (`emergency`: is this an
emergency; `urgent`: is this at least urgent; `mental_health`: is this about
mental health, so that raised advice carries the suicide line). A window's score
for a head is `bias + sum(weights of its distinct features) / sqrt(count)`, the
logistic regression of `train.py` on L2-normalised binary features; a text's
score is the highest over its windows (see `features.windows`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from triage.learned.features import Token, age_feature, token_features, tokens, windows

DEFAULT_MODEL = Path(__file__).with_name("model.json")
HEADS = ("emergency", "urgent", "mental_health")
# Words named in a raised reason: the ones that weighed most for the raise.
TOP_WORDS = 3


class ModelError(ValueError):
    """The model file is missing, unreadable or not of the expected shape."""


@dataclass(frozen=True)
class Head:
    """One binary output of the model: its bias and its decision threshold (probability)."""

    bias: float
    threshold: float


@dataclass(frozen=True)
class Score:
    """A text's probability per head, with the words that weighed most for each."""

    probability: dict[str, float]
    top_words: dict[str, tuple[str, ...]]

    def fires(self, head: str, model: Model) -> bool:
        """Whether this score reaches the head's decision threshold."""
        return self.probability[head] >= model.heads[head].threshold


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class Model:
    """The trained weights, loaded from a JSON model file."""

    def __init__(self, data: dict[str, object]) -> None:
        try:
            self.name = str(data["name"])
            self.version = str(data["version"])
            heads = data["heads"]
            weights = data["weights"]
            assert isinstance(heads, dict)
            assert isinstance(weights, dict)
            self.heads = {
                name: Head(float(heads[name]["bias"]), float(heads[name]["threshold"]))
                for name in HEADS
            }
            self.weights: dict[str, tuple[float, ...]] = {
                str(feature): tuple(float(w) for w in ws) for feature, ws in weights.items()
            }
        except (KeyError, TypeError, ValueError, AssertionError) as exc:
            raise ModelError(f"not a safety-net model: {exc!r}") from exc
        if any(len(ws) != len(HEADS) for ws in self.weights.values()):
            raise ModelError(f"every feature needs {len(HEADS)} weights")

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> Model:
        """Read a model file (JSON only: nothing in it is executed)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ModelError(f"{path}: not a JSON object")
        return cls(data)

    @property
    def label(self) -> str:
        """Name and version, as shown to staff in a reason."""
        return f"{self.name} {self.version}"

    def score(self, text: str, age: int) -> Score:
        """Probability per head (highest over the text's windows) and the words behind it."""
        toks = tokens(text)
        weights = self.weights
        per_token = [
            [(f, weights[f]) for f in feats if f in weights] for feats in token_features(toks)
        ]
        age_w = weights.get(age_feature(age))
        best: dict[str, tuple[float, range]] = {}
        for window in windows(toks):
            seen: dict[str, tuple[float, ...]] = {}
            if age_w is not None:
                seen[age_feature(age)] = age_w
            for i in window:
                for feature, ws in per_token[i]:
                    seen.setdefault(feature, ws)
            scale = 1.0 / math.sqrt(len(seen)) if seen else 0.0
            sums = [sum(col) for col in zip(*seen.values(), strict=True)] if seen else []
            for h, head in enumerate(HEADS):
                logit = self.heads[head].bias + (sums[h] * scale if sums else 0.0)
                if head not in best or logit > best[head][0]:
                    best[head] = (logit, window)
        probability = {head: _sigmoid(best[head][0]) for head in HEADS}
        top = {head: _top_words(toks, per_token, best[head][1], h) for h, head in enumerate(HEADS)}
        return Score(probability, top)


def _top_words(
    toks: list[Token],
    per_token: list[list[tuple[str, tuple[float, ...]]]],
    window: range,
    head: int,
) -> tuple[str, ...]:
    """The surface words of `window` whose features pushed head `head` up the most."""
    claimed: set[str] = set()
    weight_of: dict[int, float] = {}
    for i in window:
        total = 0.0
        for feature, ws in per_token[i]:
            if feature not in claimed:
                claimed.add(feature)
                total += ws[head]
        weight_of[i] = total
    ranked = sorted((i for i in window if weight_of[i] > 0), key=lambda i: (-weight_of[i], i))
    chosen = sorted(ranked[:TOP_WORDS])
    return tuple(toks[i].surface for i in chosen)
