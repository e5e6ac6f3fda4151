"""Scoring with the stored model, and the escalate-only decision. Pure; loaded once.

The model file holds, per feature, one weight per head (`emergency`: is this an
emergency; `urgent`: is this at least urgent; `mental_health`: is this about
mental health, so that raised advice carries the suicide line). A window's score
for a head is `bias + sum(weights of its distinct features) / sqrt(max(count,
NORM_FLOOR))`, the logistic regression of `train.py` on binary features scaled the
same way; a text's
score is the highest over its windows (see `features.windows`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from itertools import accumulate, chain
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from triage.learned.features import (
    NORM_FLOOR,
    age_feature,
    clause_windows,
    clause_words,
    surfaces,
    word_features,
)

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
            self._biases = tuple(self.heads[name].bias for name in HEADS)
            self.index: dict[str, int] = {str(feature): i for i, feature in enumerate(weights)}
            rows = [[float(w) for w in ws] for ws in weights.values()]
        except (KeyError, TypeError, ValueError, AssertionError) as exc:
            raise ModelError(f"not a safety-net model: {exc!r}") from exc
        if any(len(ws) != len(HEADS) for ws in rows):
            raise ModelError(f"every feature needs {len(HEADS)} weights")
        # Per head, one weight per feature row: plain floats, since a window holds a few
        # hundred features and array calls would cost more than the sums themselves.
        # One row of per-head weights per feature; the windows' sums are one reduceat.
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

    def _token_rows(self, words: list[str], starts: list[int]) -> list[tuple[int, ...]]:
        """Per word: the rows of its features (word, character n-grams, bigram)."""
        index = self.index
        known, word_rows = self._words.get, self._word
        out = [known(word) or word_rows(word) for word in words]
        # The bigram with the next word of the same clause (none across a clause start).
        clause_start = set(starts)
        for i in range(len(words) - 1):
            if i + 1 not in clause_start:
                row = index.get(f"b:{words[i]} {words[i + 1]}")
                if row is not None:
                    out[i] = (*out[i], row)
        return out

    def _window_logits(
        self, per_token: list[tuple[int, ...]], spans: list[range], age_row: int | None
    ) -> list[list[float]]:
        """Logits per window and head.

        Each window's distinct feature rows, in ascending order, are summed by one
        `np.add.reduceat` over all windows (numpy's own pairwise order), so a score is the
        same to the last bit however the text was split (training picks thresholds from
        these scores and must give the same bytes). The rest is a few scalars per
        window: plain floats, cheaper than more array calls on arrays this small.
        """
        # Each window's distinct rows, offset by window so that one sort orders them
        # by window and then by row.
        parts = [set().union(*per_token[span.start : span.stop]) for span in spans]
        counts = [len(part) for part in parts]
        summed: list[list[float]] = []
        if any(counts):
            n_rows = self.matrix.shape[0]
            keys = np.fromiter(chain.from_iterable(parts), dtype=np.intp, count=sum(counts))
            several = len(parts) > 1
            if several:
                keys += (np.arange(len(parts), dtype=np.intp) * n_rows).repeat(counts)
            keys.sort()
            if several:
                keys %= n_rows
            ends = accumulate(counts[:-1], initial=0)
            starts = [start for start, count in zip(ends, counts, strict=True) if count]
            summed = np.add.reduceat(self.matrix[keys], starts, axis=0).tolist()
        age = self.matrix[age_row].tolist() if age_row is not None else None
        logits: list[list[float]] = []
        filled = iter(summed)
        for count in counts:
            sums = next(filled) if count else [0.0] * len(HEADS)
            features = count
            if age is not None:
                sums = [total + weight for total, weight in zip(sums, age, strict=True)]
                features += 1
            scale = 1.0 / math.sqrt(max(features, NORM_FLOOR))
            logits.append(
                [bias + total * scale for bias, total in zip(self._biases, sums, strict=True)]
            )
        return logits

    def score(self, text: str, age: int) -> Score:
        """Probability per head (highest over the text's windows) and the words behind it.

        The windows are the whole text and every run of WINDOW_CLAUSES consecutive
        clauses (see `features.windows`).
        """
        words, starts = clause_words(text)
        per_token = self._token_rows(words, starts)
        spans = clause_windows(starts, len(words))
        age_row = self.index.get(age_feature(age))
        table = self._window_logits(per_token, spans, age_row)
        probability: dict[str, float] = {}
        top: dict[str, tuple[str, ...]] = {}
        words_as_written: list[str] | None = None
        owners: dict[int, _Owners] = {}
        for h, head in enumerate(HEADS):
            # The first window with the highest logit (as numpy's argmax picked it).
            best = 0
            for w in range(1, len(table)):
                if table[w][h] > table[best][h]:
                    best = w
            probability[head] = _sigmoid(table[best][h])
            top[head] = ()
            # Words are only worked out where they will be shown: a head that fires.
            if probability[head] >= self.heads[head].threshold:
                if words_as_written is None:
                    words_as_written = surfaces(text)
                if best not in owners:
                    owners[best] = _Owners.of(per_token, spans[best])
                top[head] = owners[best].top_words(words_as_written, self.matrix[:, h])
        return Score(probability, top)


@dataclass(frozen=True)
class _Owners:
    """A window's distinct feature rows, each owned by the first word of it that has it."""

    window: range
    rows: NDArray[np.intp]  # distinct, ascending
    owner: NDArray[np.intp]  # per row, its word's position in the window

    @classmethod
    def of(cls, per_token: list[tuple[int, ...]], window: range) -> _Owners:
        """The owners of `window`'s rows."""
        lengths = [len(per_token[i]) for i in window]
        rows = np.fromiter(
            chain.from_iterable(per_token[window.start : window.stop]),
            dtype=np.intp,
            count=sum(lengths),
        )
        words = np.repeat(np.arange(len(window), dtype=np.intp), lengths)
        distinct, first = np.unique(rows, return_index=True)
        return cls(window, distinct, words[first])

    def top_words(self, words: list[str], column: NDArray[np.float64]) -> tuple[str, ...]:
        """The `words` (as written) whose features pushed the head of `column` up the most.

        A word's weight is the sum of its own rows' weights in ascending row order.
        """
        weight: list[float] = np.bincount(
            self.owner, weights=column[self.rows], minlength=len(self.window)
        ).tolist()
        ranked = sorted((i for i, w in enumerate(weight) if w > 0), key=lambda i: (-weight[i], i))
        return tuple(words[self.window[i]] for i in sorted(ranked[:TOP_WORDS]))
