"""Rebuild `model.json` from the corpus: `python -m triage train`.

Offline only (needs scikit-learn, installed with the `train` extra); the service
never imports this module. The same corpus gives the same bytes: the vocabulary is
sorted, liblinear runs with a fixed seed, the folds for threshold selection are
seeded, and every number is rounded before it is written.

Per head, a logistic regression (liblinear, L2, balanced class weights) on binary
n-gram features divided by sqrt(max(features, NORM_FLOOR)) (the L2 norm, floored).
The decision threshold of each head is chosen by 5-fold cross-validation on the
corpus, scoring the held-out texts exactly as the service does (highest window):
the lowest threshold whose false-alarm rate on the texts that are not of that head
stays within the head's budget (`FALSE_ALARM_BUDGET`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from triage.learned.corpus import DEFAULT_CORPUS, Example, corpus_digest, load_corpus
from triage.learned.features import NORM_FLOOR, analyze
from triage.learned.net import DEFAULT_MODEL, HEADS, Model
from triage.model import Level

MODEL_NAME = "safety-net"
# Bump when the features, the heads or the training procedure change.
MODEL_VERSION = "1.2.1"
SEED = 20261202
FOLDS = 5
# Features seen in fewer corpus texts than this are left out (noise, and file size).
MIN_DF = 2
# Inverse regularisation strength of the logistic regressions.
C = 16.0
DECIMALS = 4
# Solver tolerance (sklearn's default is 1e-4, the size of the rounding step).
TOL = 1e-9
# Highest share of the corpus texts outside a head that may reach its threshold in
# cross-validation. The corpus is at least 40 % look-alike negatives by design, so
# the rate on real traffic is lower than this.
FALSE_ALARM_BUDGET = {"emergency": 0.05, "urgent": 0.08, "mental_health": 0.03}
# Never let a threshold go below this probability, whatever the fold scores say.
THRESHOLD_FLOOR = 0.2


def labels(examples: Sequence[Example], head: str) -> list[int]:
    """1 where the example belongs to `head`, else 0."""
    if head == "emergency":
        return [int(e.level is Level.EMERGENCY) for e in examples]
    if head == "urgent":
        return [int(e.level in (Level.EMERGENCY, Level.URGENT)) for e in examples]
    return [int("mental_health" in e.tags) for e in examples]


@dataclass(frozen=True)
class Fit:
    """Weights of every head over one vocabulary."""

    vocabulary: list[str]
    coefs: list[list[float]]  # per head, one weight per vocabulary entry
    biases: list[float]


def fit(examples: Sequence[Example]) -> Fit:
    """Train the three heads on `examples`."""
    from scipy.sparse import diags  # noqa: PLC0415
    from sklearn.feature_extraction.text import CountVectorizer  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    vectorizer = CountVectorizer(analyzer=lambda doc: doc, binary=True, min_df=MIN_DF)
    counts = vectorizer.fit_transform([analyze(e.text, e.age) for e in examples])
    # As the service scores: divided by sqrt(max(features, NORM_FLOOR)).
    per_row = np.maximum(counts.getnnz(axis=1), NORM_FLOOR)
    matrix = diags(1.0 / np.sqrt(per_row)) @ counts
    vocabulary = [str(f) for f in vectorizer.get_feature_names_out()]
    coefs: list[list[float]] = []
    biases: list[float] = []
    for head in HEADS:
        model = LogisticRegression(
            C=C,
            solver="liblinear",
            class_weight="balanced",
            random_state=SEED,
            max_iter=2000,
            # Converged far below the 4-decimal rounding, so a last-bit difference
            # in the solver's sums (memory alignment, environment) cannot move a
            # written weight.
            tol=TOL,
        )
        model.fit(matrix, labels(examples, head))
        coefs.append([round(float(w), DECIMALS) for w in model.coef_[0]])
        biases.append(round(float(model.intercept_[0]), DECIMALS))
    return Fit(vocabulary, coefs, biases)


def _model_data(fitted: Fit, thresholds: dict[str, float], meta: dict[str, Any]) -> dict[str, Any]:
    weights = {
        feature: [fitted.coefs[h][i] for h in range(len(HEADS))]
        for i, feature in enumerate(fitted.vocabulary)
        if any(fitted.coefs[h][i] != 0.0 for h in range(len(HEADS)))
    }
    return {
        "name": MODEL_NAME,
        "version": meta["version"],
        "meta": meta,
        "heads": {
            head: {"bias": fitted.biases[h], "threshold": thresholds[head]}
            for h, head in enumerate(HEADS)
        },
        "weights": weights,
    }


def _threshold(scores: list[float], truth: list[int], budget: float) -> float:
    """Lowest threshold (from the scores themselves) keeping false alarms within budget."""
    negatives = sorted((s for s, t in zip(scores, truth, strict=True) if not t), reverse=True)
    allowed = int(budget * len(negatives))
    # Just above the (allowed+1)-th highest negative score.
    cut = float(negatives[allowed]) if allowed < len(negatives) else 0.0
    step = 10.0**-DECIMALS
    return round(max(THRESHOLD_FLOOR, min(0.99, cut + step)), DECIMALS)


def cross_validate(examples: Sequence[Example]) -> tuple[dict[str, float], dict[str, Any]]:
    """Thresholds per head from held-out fold scores, and the figures they give."""
    from sklearn.model_selection import StratifiedKFold  # noqa: PLC0415

    strata = [e.level.value for e in examples]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    held_out: dict[str, list[float]] = {head: [0.0] * len(examples) for head in HEADS}
    for train_idx, test_idx in folds.split(list(range(len(examples))), strata):
        fitted = fit([examples[i] for i in train_idx])
        placeholder = dict.fromkeys(HEADS, 0.5)
        model = Model(_model_data(fitted, placeholder, {"version": "cv"}))
        for i in test_idx:
            score = model.score(examples[i].text, examples[i].age)
            for head in HEADS:
                held_out[head][i] = score.probability[head]
    thresholds: dict[str, float] = {}
    figures: dict[str, Any] = {}
    for head in HEADS:
        truth = labels(examples, head)
        cut = _threshold(held_out[head], truth, FALSE_ALARM_BUDGET[head])
        thresholds[head] = cut
        hits = [s >= cut for s in held_out[head]]
        positives = sum(truth)
        negatives = len(truth) - positives
        figures[head] = {
            "threshold": cut,
            "sensitivity": round(
                sum(h and t for h, t in zip(hits, truth, strict=True)) / max(positives, 1), 4
            ),
            "false_alarm_rate": round(
                sum(h and not t for h, t in zip(hits, truth, strict=True)) / max(negatives, 1), 4
            ),
            "positives": positives,
            "negatives": negatives,
        }
    return thresholds, figures


def build(corpus: Path = DEFAULT_CORPUS) -> dict[str, Any]:
    """The model file's content for the corpus in `corpus`.

    BLAS runs on one thread: liblinear's trust-region solver sums with BLAS, and a
    sum split over a varying number of threads can differ in the last bit, which
    rounding can turn into a different weight (seen in a test suite whose other
    tests ran alongside).
    """
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    with threadpool_limits(limits=1):
        return _build(corpus)


def _build(corpus: Path) -> dict[str, Any]:
    examples = load_corpus(corpus)
    thresholds, figures = cross_validate(examples)
    digest = corpus_digest(corpus)
    meta = {
        "version": f"{MODEL_VERSION}+{digest[:8]}",
        "corpus_sha256": digest,
        "corpus_texts": len(examples),
        "cross_validation": figures,
        "settings": {"C": C, "min_df": MIN_DF, "folds": FOLDS, "seed": SEED, "tol": TOL},
    }
    return _model_data(fit(examples), thresholds, meta)


def dumps(data: dict[str, Any]) -> str:
    """The model file's bytes: sorted keys, one feature per line (diffs stay readable)."""
    head = {k: v for k, v in data.items() if k != "weights"}
    lines = json.dumps(head, sort_keys=True, ensure_ascii=False, indent=1)[:-2]
    weights = data["weights"]
    body = ",\n".join(
        f"  {json.dumps(f, ensure_ascii=False)}: {json.dumps(weights[f])}" for f in sorted(weights)
    )
    return f'{lines},\n "weights": {{\n{body}\n }}\n}}\n'


def train(corpus: Path = DEFAULT_CORPUS, out: Path = DEFAULT_MODEL) -> dict[str, Any]:
    """Rebuild the model file; returns its content."""
    data = build(corpus)
    out.write_text(dumps(data), encoding="utf-8")
    return data
