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
from itertools import chain
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from triage.learned.features import NORM_FLOOR, Token, age_feature, tokens, windows, word_features

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

    def _window_logits(
        self, per_token: list[tuple[int, ...]], spans: list[range], age_row: int | None
    ) -> NDArray[np.float64]:
        """Logits per window (rows) and head (columns), all windows in a few array calls.

        Each window's distinct feature rows are found by sorting (window, row) keys
        once; their weights are summed in ascending row order, so a
        score is the same to the last bit however the text was split (training picks
        thresholds from these scores and must give the same bytes).
        """
        n_windows = len(spans)
        n_rows = self.matrix.shape[0]
        offsets = np.zeros(len(per_token) + 1, dtype=np.intp)
        np.cumsum([len(rows) for rows in per_token], out=offsets[1:])
        flat = np.fromiter(chain.from_iterable(per_token), dtype=np.intp, count=int(offsets[-1]))
        parts = [flat[offsets[span.start] : offsets[span.stop]] for span in spans]
        window_of = np.repeat(np.arange(n_windows, dtype=np.intp), [len(p) for p in parts])
        keys = window_of * n_rows + np.concatenate(parts)
        keys.sort()
        if keys.size:
            keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        sums = np.zeros((n_windows, len(HEADS)))
        counts = np.bincount(keys // n_rows, minlength=n_windows).astype(np.float64)
        if keys.size:
            # Keys are sorted, so each window's rows are one run: one reduceat.
            filled = counts > 0
            starts = np.cumsum(counts, dtype=np.intp) - counts.astype(np.intp)
            sums[filled] = np.add.reduceat(self.matrix[keys % n_rows], starts[filled], axis=0)
        if age_row is not None:
            sums += self.matrix[age_row]
            counts += 1
        scale = 1.0 / np.sqrt(np.maximum(counts, NORM_FLOOR))
        biases = np.array([self.heads[head].bias for head in HEADS])
        logits: NDArray[np.float64] = biases + sums * scale[:, None]
        return logits

    def score(self, text: str, age: int) -> Score:
        """Probability per head (highest over the text's windows) and the words behind it.

        The windows are the whole text and every run of WINDOW_CLAUSES consecutive
        clauses (see `features.windows`).
        """
        toks = tokens(text)
        per_token = self._token_rows(toks)
        spans = windows(toks)
        table = self._window_logits(per_token, spans, self.index.get(age_feature(age)))
        probability: dict[str, float] = {}
        top: dict[str, tuple[str, ...]] = {}
        for h, head in enumerate(HEADS):
            best = int(np.argmax(table[:, h]))
            probability[head] = _sigmoid(float(table[best, h]))
            # Words are only worked out where they will be shown: a head that fires.
            fires = probability[head] >= self.heads[head].threshold
            window = spans[best]
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
