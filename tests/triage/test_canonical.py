"""Word-level normalisation (triage/canonical.py): shorthand, compounds, typos, offsets."""

from __future__ import annotations

import pytest

import triage.canonical as canonical_module
from triage.api import assess
from triage.canonical import Canonical, Vocabulary, canonical
from triage.model import Level
from triage.normalize import fold

VOCABULARY = Vocabulary([r"svider (nar|vid) kiss\w*", r"andning\w*", r"diarr?e\w*", r"hugg\w*"])


def test_vocabulary_words_and_stems() -> None:
    """Whole literal words and `\\w*` stems of six or more letters are correction targets;
    letters next to a quantifier are not a word."""
    assert VOCABULARY.words == frozenset({"svider"})
    assert VOCABULARY.stems == frozenset({"andning"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("blöder mkt o yr", "bloder mycket och yr"),
        ("slog huvet, kräkts 2 ggr", "slog huvudet, krakts 2 ganger"),
        ("cant breathe bc of u", "cant breathe because of you"),
    ],
)
def test_shorthand_is_written_out(text: str, expected: str) -> None:
    """SMS shorthand and spoken forms become the written words the rules use."""
    assert canonical(fold(text), VOCABULARY).text == expected


def test_intensifier_and_side_compounds_are_split() -> None:
    """Compounds like "jättemycket", "högerarmen" are read as two words; a short rest
    is left alone."""
    assert canonical("jattemycket hogerarmen skitig", VOCABULARY).text == (
        "jatte mycket hoger armen skitig"
    )


def test_the_rest_of_a_compound_is_typo_corrected() -> None:
    """The word after a split head gets the same typo reading as a word of its own."""
    assert canonical("jattesveder", VOCABULARY).text == "jatte svider"


def test_substitution_and_swap_typos_read_as_the_rule_word() -> None:
    """One substituted letter or two swapped neighbours (not the first letter) are read
    as the vocabulary word; a stem keeps the word's tail."""
    assert VOCABULARY.correct("sveder") == "svider"
    assert VOCABULARY.correct("sivder") == "svider"
    assert VOCABULARY.correct("andnimgen") == "andningen"
    assert VOCABULARY.correct("anndingen") == "andningen"


@pytest.mark.parametrize(
    "word",
    [
        "svid",  # shorter than MIN_TYPO_LEN
        "xvider",  # first letter differs
        "svider",  # already a rule word
        "andningar",  # starts with a rule stem
        "diarre",  # a rule phrasing matches it ("diarr?e")
        "huggen",  # starts with a short rule stem ("hugg")
        "svidare",  # another form of a rule word ("svid-")
        "skickat",  # a known false friend
        "andnimgenxxxxx",  # tail longer than a stem allows
    ],
)
def test_words_that_are_not_corrected(word: str) -> None:
    """Short words, other first letters, covered words, inflections of rule words and
    known real words are kept as written."""
    assert VOCABULARY.correct(word) is None


def test_ambiguous_typo_is_not_corrected() -> None:
    """A word one letter from two rule words is left alone."""
    vocabulary = Vocabulary(["svider", "svidar"])
    assert vocabulary.correct("svidxr") is None


def test_whole_word_and_stem_readings_are_kept_apart() -> None:
    """A neighbour that is a stem is only used for a prefix, and a whole word only for
    the whole word."""
    vocabulary = Vocabulary([r"stelhet\w*", "stelhen"])
    assert vocabulary.correct("stelhex") == "stelhen"  # the stem "stelhet" is not a word
    assert vocabulary.correct("stelhexab") == "stelhetab"


def test_matches_callback_marks_words_as_covered() -> None:
    """A word some rule phrasing already matches is never corrected."""
    vocabulary = Vocabulary(["svider"], matches=lambda word: word == "sveder")
    assert vocabulary.correct("sveder") is None
    assert vocabulary.correct("sviber") == "svider"


def test_rewrite_is_remembered_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rewrites are cached per word, and the cache stops growing at its bound."""
    vocabulary = Vocabulary(["svider"])
    assert vocabulary.rewrite("sveder") == "svider"
    assert vocabulary.rewrite("sveder") == "svider"
    monkeypatch.setattr(canonical_module, "_CACHE_SIZE", 1)
    assert vocabulary.rewrite("svideq") == "svider"
    assert "svideq" not in vocabulary._cache


def test_source_span_maps_back_to_the_input() -> None:
    """Spans in the rewritten text map back to the patient's own words."""
    result = canonical("blod o sveder", VOCABULARY)
    assert result.text == "blod och svider"
    start = result.text.index("svider")
    assert result.source_span(start, start + 6) == (7, 13)
    assert result.source_span(5, 8) == (5, 6)
    unchanged = canonical("inget att rätta", VOCABULARY)
    assert unchanged == Canonical("inget att rätta", None)
    assert unchanged.source_span(2, 4) == (2, 4)


def test_lemma_keeps_three_letters() -> None:
    """An ending is only stripped when three letters remain."""
    assert canonical_module._lemma("barnen") == "barn"
    assert canonical_module._lemma("ade") == "ade"
    assert canonical_module._lemma("xyz") == "xyz"


def test_engine_reads_compounds_shorthand_and_typos() -> None:
    """End to end: an intensifier compound with SMS "o" is heavy bleeding, a typo of
    "förvirrad" with fever is sepsis, and matches are reported in the patient's words."""
    bleeding = assess("skar mig, blöder jättemycket o pulserar", 35)
    assert bleeding.level is Level.EMERGENCY
    assert bleeding.reasons[0].matched == ("blöder jättemycket",)
    sepsis = assess("hög feber och mamma är forvirrsd", 80)
    assert sepsis.level is Level.EMERGENCY
    assert sepsis.reasons[0].matched == ("feber", "forvirrsd")
    assert assess("jättevärk i örat trots alvedon", 6).level is Level.URGENT


def test_body_part_pain_compounds_read_as_ont_i() -> None:
    """ "örsmärta", "halssmärta" (linking s) and "nackont" become "ont i <part>"; other
    words ending like a pain word are left alone."""
    text = canonical("orsmarta, halssmarta o nackont men front", VOCABULARY).text
    assert text == "ont i orat, ont i halsen och ont i nacken men front"
    assert canonical("frontvark", VOCABULARY).text == "frontvark"


def test_listed_body_part_compounds_keep_their_phrasings() -> None:
    """A compound that a phrasing matches as written is not rewritten."""
    vocabulary = Vocabulary(["huvudvark"], matches=lambda word: word == "huvudvark")
    assert canonical("huvudvark", vocabulary).text == "huvudvark"
    assert vocabulary.known("huvudvark") is True
