"""The fast paths of `assess` give exactly what the straightforward ones gave.

- every corpus and challenge text (and spliced ones) gives the golden output recorded
  before the speed-up (`assess_golden.py`), safety-net probabilities to the last bit;
- the net's window sums equal the array code they replaced, bit for bit, on any text;
- folding, the word splits of the net and the scan gate agree with their references.
"""

from __future__ import annotations

import json
import re
from itertools import chain

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.triage import assess_golden
from triage.api import DEFAULT_ENGINE, SAFETY_NET
from triage.engine import _may_match, _scan_gate
from triage.learned.features import (
    NORM_FLOOR,
    age_feature,
    clause_words,
    surfaces,
    tokens,
    windows,
    word_features,
)
from triage.learned.net import HEADS
from triage.normalize import _FOLD, _FOLD_PAIRS, fold

# Text that reaches every branch of the word and clause splits: clause ends, digits,
# underscores, non-Latin letters, folded letters.
TEXTS = st.lists(
    st.sampled_from(
        [*"abcåäöéİΣσ12_ .!?;\n,’'\t", "ont ", "bröstet", "feber ", "kan inte andas", "pain "]
    ),
    max_size=40,
).map("".join)


def test_assess_gives_the_golden_outputs() -> None:
    """Every golden case gives the output recorded before the fast paths, to the last bit."""
    golden = json.loads(assess_golden.GOLDEN.read_text(encoding="utf-8"))
    cases = assess_golden.cases()
    assert sum(map(len, golden.values())) == len(cases)
    seen: dict[str, int] = {}
    differing = []
    for case in cases:
        source = assess_golden.source(case)
        position = seen.get(source, 0)
        seen[source] = position + 1
        if assess_golden.digest(case) != golden[source][position]:
            differing.append(case.id)
    assert differing == [], f"{len(differing)} cases differ, first: {differing[:5]}"


def _reference_logits(text: str, age: int) -> list[list[float]]:
    """The window logits as the array code before the fast path computed them."""
    model = SAFETY_NET
    toks = tokens(text)
    per_token = []
    for i, tok in enumerate(toks):
        rows = [model.index[f] for f in word_features(tok.folded) if f in model.index]
        if i + 1 < len(toks) and toks[i + 1].clause == tok.clause:
            bigram = model.index.get(f"b:{tok.folded} {toks[i + 1].folded}")
            rows += [] if bigram is None else [bigram]
        per_token.append(rows)
    spans = windows(toks)
    n_rows = model.matrix.shape[0]
    offsets = np.zeros(len(per_token) + 1, dtype=np.intp)
    np.cumsum([len(rows) for rows in per_token], out=offsets[1:])
    flat = np.fromiter(chain.from_iterable(per_token), dtype=np.intp, count=int(offsets[-1]))
    parts = [flat[offsets[span.start] : offsets[span.stop]] for span in spans]
    window_of = np.repeat(np.arange(len(spans), dtype=np.intp), [len(p) for p in parts])
    keys = np.sort(window_of * n_rows + np.concatenate(parts))
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if keys.size else keys
    sums = np.zeros((len(spans), len(HEADS)))
    counts = np.bincount(keys // n_rows, minlength=len(spans)).astype(np.float64)
    if keys.size:
        filled = counts > 0
        starts = np.cumsum(counts, dtype=np.intp) - counts.astype(np.intp)
        sums[filled] = np.add.reduceat(model.matrix[keys % n_rows], starts[filled], axis=0)
    age_row = model.index.get(age_feature(age))
    if age_row is not None:
        sums += model.matrix[age_row]
        counts += 1
    scale = 1.0 / np.sqrt(np.maximum(counts, NORM_FLOOR))
    biases = np.array([model.heads[head].bias for head in HEADS])
    logits: list[list[float]] = (biases + sums * scale[:, None]).tolist()
    return logits


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, age=st.integers(min_value=0, max_value=120))
def test_window_logits_equal_the_array_code(text: str, age: int) -> None:
    """The net's window logits equal the replaced array code's, bit for bit."""
    words, starts = clause_words(text)
    per_token = SAFETY_NET._token_rows(words, starts)
    spans = windows(tokens(text))
    age_row = SAFETY_NET.index.get(age_feature(age))
    assert SAFETY_NET._window_logits(per_token, spans, age_row) == _reference_logits(text, age)


def test_window_logits_of_long_corpus_texts() -> None:
    """Texts of many clauses (several windows each) score as the array code did."""
    long_texts = [case for case in assess_golden.cases() if case.text.count(".") >= 4]
    assert len(long_texts) > 50
    for case in long_texts[:200]:
        words, starts = clause_words(case.text)
        spans = windows(tokens(case.text))
        assert len(spans) > 1
        age_row = SAFETY_NET.index.get(age_feature(case.age))
        logits = SAFETY_NET._window_logits(SAFETY_NET._token_rows(words, starts), spans, age_row)
        assert logits == _reference_logits(case.text, case.age)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_word_splits_agree_with_tokens(text: str) -> None:
    """`clause_words` and `surfaces` are the words and clause starts of `tokens`."""
    toks = tokens(text)
    words, starts = clause_words(text)
    assert words == [tok.folded for tok in toks]
    assert starts == [i for i, tok in enumerate(toks) if i == 0 or tok.clause != toks[i - 1].clause]
    assert surfaces(text) == [tok.surface for tok in toks]


def test_fold_replacements_are_never_folded_again() -> None:
    """No replacement is itself a folded character, so replacing one by one equals translate."""
    assert not {plain for _, plain in _FOLD_PAIRS} & {char for char, _ in _FOLD_PAIRS}


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_fold_equals_translate(text: str) -> None:
    """`fold` gives what lower-casing and `str.translate` with the table give."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    assert fold(text) == lowered.translate(_FOLD)


def test_scan_gate() -> None:
    """The gate is None when a scan always runs, and finds a literal wherever a scan may run."""
    never = re.compile("x")
    assert _scan_gate((("a", never, (None,)),)) is None
    assert _scan_gate((("a", never, ((),)),)) is None
    empty = _scan_gate(())
    assert empty is not None
    assert empty.search("anything") is None
    needs = ((frozenset({"rash", "ring"}), frozenset({" "}), frozenset({"around", "bigger"})),)
    gate = _scan_gate((("a", never, needs),))
    assert gate is not None
    assert gate.pattern == "around|bigger"  # the group whose shortest literal is longest
    scans = DEFAULT_ENGINE._index.scans
    default_gate = DEFAULT_ENGINE._index.scan_gate
    assert default_gate is not None
    for case in assess_golden.cases()[::7]:
        folded = fold(case.text)
        if any(_may_match(folded, needs) for _, _, needs in scans):
            assert default_gate.search(folded) is not None
