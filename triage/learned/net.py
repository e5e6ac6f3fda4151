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

import numpy as np
from numpy.typing import NDArray

from triage.learned.features import WINDOW_CLAUSES, Token, age_feature, tokens, word_features

DEFAULT_MODEL = Path(__file__).with_name("model.json")
HEADS = ("emergency", "urgent", "mental_health")
# Words named in a raised reason: the ones that weighed most for the raise.
TOP_WORDS = 3
# Distinct words whose features are remembered (bounded: odd texts cannot grow it).
_WORD_CACHE_SIZE = 50_000


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
            self.index: dict[str, int] = {str(feature): i for i, feature in enumerate(weights)}
            rows = [[float(w) for w in ws] for ws in weights.values()]
        except (KeyError, TypeError, ValueError, AssertionError) as exc:
            raise ModelError(f"not a safety-net model: {exc!r}") from exc
        if any(len(ws) != len(HEADS) for ws in rows):
            raise ModelError(f"every feature needs {len(HEADS)} weights")
        # One row of per-head weights per feature; a window's sums are one gather.
        self.matrix = np.array(rows, dtype=np.float64).reshape(len(rows), len(HEADS))
        self._words: dict[str, tuple[int, ...]] = {}

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

    def _word(self, word: str) -> tuple[int, ...]:
        """The rows of one folded word's in-vocabulary features (remembered)."""
        found = self._words.get(word)
        if found is None:
            index = self.index
            found = tuple(index[f] for f in word_features(word) if f in index)
            if len(self._words) < _WORD_CACHE_SIZE:
                self._words[word] = found
        return found

    def _token_rows(self, toks: list[Token]) -> list[tuple[int, ...]]:
        """Per token: the rows of its features (word, character n-grams, bigram)."""
        index = self.index
        out: list[tuple[int, ...]] = []
        for i, tok in enumerate(toks):
            rows = self._word(tok.folded)
            if i + 1 < len(toks) and toks[i + 1].clause == tok.clause:
                row = index.get(f"b:{tok.folded} {toks[i + 1].folded}")
                if row is not None:
                    rows = (*rows, row)
            out.append(rows)
        return out

    def _sums(self, rows: set[int]) -> NDArray[np.float64]:
        """Per-head sums of the weights of these distinct feature rows."""
        if not rows:
            return np.zeros(len(HEADS))
        # Sorted: the sum is then the same to the last bit however the set was built
        # (training picks thresholds from these scores, and must give the same bytes).
        picked = np.fromiter(sorted(rows), dtype=np.intp, count=len(rows))
        total: NDArray[np.float64] = self.matrix[picked].sum(axis=0)
        return total

    def score(self, text: str, age: int) -> Score:
        """Probability per head (highest over the text's windows) and the words behind it.

        The windows are the whole text and every run of WINDOW_CLAUSES consecutive
        clauses (see `features.windows`), each a set of distinct features.
        """
        toks = tokens(text)
        per_token = self._token_rows(toks)
        clauses: list[set[int]] = []
        starts: list[int] = []
        last = -1
        for i, tok in enumerate(toks):
            if tok.clause != last:
                clauses.append(set())
                starts.append(i)
                last = tok.clause
            clauses[-1].update(per_token[i])
        age_row = self.index.get(age_feature(age))
        windows: list[tuple[set[int], range]] = [(set().union(*clauses), range(len(toks)))]
        if len(clauses) > WINDOW_CLAUSES:
            ends = [*starts[1:], len(toks)]
            windows.extend(
                (clauses[c] | clauses[c + 1], range(starts[c], ends[c + 1]))
                for c in range(len(clauses) - 1)
            )
        biases = np.array([self.heads[head].bias for head in HEADS])
        logits = []
        for rows, _ in windows:
            if age_row is not None:
                rows.add(age_row)
            scale = 1.0 / math.sqrt(len(rows)) if rows else 0.0
            logits.append(biases + self._sums(rows) * scale)
        table = np.vstack(logits)
        probability: dict[str, float] = {}
        top: dict[str, tuple[str, ...]] = {}
        for h, head in enumerate(HEADS):
            best = int(np.argmax(table[:, h]))
            probability[head] = _sigmoid(float(table[best, h]))
            # Words are only worked out where they will be shown: a head that fires.
            fires = probability[head] >= self.heads[head].threshold
            window = windows[best][1]
            top[head] = _top_words(toks, per_token, window, self.matrix[:, h]) if fires else ()
        return Score(probability, top)


def _top_words(
    toks: list[Token],
    per_token: list[tuple[int, ...]],
    window: range,
    column: NDArray[np.float64],
) -> tuple[str, ...]:
    """The surface words of `window` whose features pushed the head up the most.

    Each distinct feature counts once, for the first word of the window that has it.
    """
    owners = [i for i in window for _ in per_token[i]]
    if not owners:
        return ()
    rows = np.fromiter((r for i in window for r in per_token[i]), dtype=np.intp, count=len(owners))
    _, first = np.unique(rows, return_index=True)
    owner = np.asarray(owners, dtype=np.intp)[first]
    weight = np.bincount(owner, weights=column[rows[first]], minlength=len(toks))
    ranked = sorted((i for i in window if weight[i] > 0), key=lambda i: (-weight[i], i))
    return tuple(toks[i].surface for i in sorted(ranked[:TOP_WORDS]))
