"""The rule loader and `python -m triage check`: every mistake gives a clear message."""

# The table of one-line file edits below reads best unwrapped.
# ruff: noqa: E501

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.triage.conftest import MINI_RULES
from triage.check import check_rules
from triage.engine import TriageEngine
from triage.rules import _GAP_WORD, DEFAULT_RULES_DIR, RulesetError, expand, load_ruleset

RULE = """
[[rule]]
id = "T2"
level = "urgent"
tags = ["respiratory"]
title = "t"
source = ["https://www.1177.se/"]
all = [["cough"]]
examples_sv = ["hosta"]
examples_en = ["cough"]
"""


def problems_of(directory: Path) -> list[str]:
    """The loader's problem list for `directory`."""
    with pytest.raises(RulesetError) as info:
        load_ruleset(directory)
    assert "invalid triage rules" in str(info.value)
    return info.value.problems


def test_default_rules_are_valid() -> None:
    """The packaged rules pass the checker."""
    assert check_rules(DEFAULT_RULES_DIR) == []


def test_gap_macro() -> None:
    """{gN} expands to a bounded run of words that are not negations."""
    assert expand("a {g2}b") == "a (?:" + _GAP_WORD + "){0,2}b"
    gap = re.compile(expand("face {g3}drooping"))
    assert gap.fullmatch("face is drooping") is not None
    assert gap.fullmatch("face isn't drooping") is None
    assert gap.fullmatch("face is not drooping") is None


def test_ont_macro() -> None:
    """{ont} also matches the one-word intensifier compounds ("jätteont", "skitont")."""
    pain = re.compile(expand("{ont} i orat"))
    assert [
        bool(pain.fullmatch(t)) for t in ("ont i orat", "jatteont i orat", "skitont i orat")
    ] == [
        True,
        True,
        True,
    ]
    assert pain.fullmatch("front i orat") is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s + "this is = not toml [", "not valid TOML"),
        (lambda s: "concepts = 3\n", "[concepts] must be a table"),
        (lambda s: s.replace("[concepts.rash]\nsv = ['utslag']", "[concepts.rash]\nde = ['x']\nsv = ['utslag']"), "unknown key 'de'"),
        (lambda s: s.replace("en = ['rash']", ""), "missing language 'en'"),
        (lambda s: s.replace("en = ['rash']", "en = 'rash'"), "must be a list of non-empty strings"),
        (lambda s: s.replace("en = ['rash']", "en = ['(rash']"), "bad regex"),
        (lambda s: s.replace("[concepts.rash]\nsv = ['utslag']\nen = ['rash']", "[concepts]\nrash = 3"), "must be a table with sv and en"),
        (lambda s: "rule = 3\n", "must be an array of tables"),
        (lambda s: "rule = [1]\n", "every [[rule]] must be a table"),
        (lambda s: s.replace('id = "T1-cough"', ""), "a rule has no id"),
        (lambda s: s.replace('title = "Cough"', 'title = "Cough"\ncolour = 1'), "unknown key 'colour'"),
        (lambda s: s.replace('"standard"', '"soon"'), "unknown level 'soon'"),
        (lambda s: s.replace('["respiratory"]', '["lungs"]'), "unknown tag 'lungs'"),
        (lambda s: s.replace('title = "Cough"', ""), "missing title"),
        (lambda s: s.replace('source = ["https://www.1177.se/"]', ""), "missing source"),
        (lambda s: s.replace("https://www.1177.se/", "1177.se"), "is not a URL"),
        (lambda s: s.replace('all = [["cough"]]', 'all = "cough"'), "must be a list of lists"),
        (lambda s: s.replace('all = [["cough"]]', ""), "needs at least one group"),
        (lambda s: s.replace('all = [["cough"]]', 'all = [[]]'), "needs at least one group"),
        (lambda s: s.replace('examples_en = ["cough"]', ""), "missing language 'en' (examples_en)"),
        (lambda s: s.replace('title = "Cough"', 'title = "Cough"\nignore_mild = 1'), "ignore_mild must be"),
        (lambda s: s.replace('title = "Cough"', 'title = "Cough"\nage_below = "x"'), "age_below must be a number"),
        (lambda s: s.replace('title = "Cough"', 'title = "Cough"\ntemp_at_least = true'), "temp_at_least must be"),
        (lambda s: s + RULE.replace('"T2"', '"T1-cough"'), "duplicate id"),
        (lambda s: s.replace('all = [["cough"]]', 'all = [["wheeze"]]'), "unknown concept 'wheeze'"),
    ],
)  # fmt: skip
def test_rule_file_problems(
    rules_dir: Callable[..., Path], edit: Callable[[str], str], message: str
) -> None:
    """Each kind of mistake in a rule file is reported with a clear message."""
    problems = problems_of(rules_dir(edit(MINI_RULES)))
    assert any(message in problem for problem in problems), problems


def test_duplicate_concept_across_files(rules_dir: Callable[..., Path]) -> None:
    """A concept defined in two files is reported."""
    directory = rules_dir()
    (directory / "other.toml").write_text("[concepts.cough]\nsv = ['x']\nen = ['y']\n")
    assert any("duplicate concept name" in p for p in problems_of(directory))


@pytest.mark.parametrize(
    ("ruleset", "message"),
    [
        ('version = "1"\n', "missing [language] section"),
        ('version = "1"\n[language]\nnegation_window = 3\n', "language.negation_cue: missing"),
        ("[language]\n", "missing version"),
        ('version = "1"\n[language]\nnegation_window = -1\n', "negation_window must be"),
    ],
)
def test_ruleset_file_problems(rules_dir: Callable[..., Path], ruleset: str, message: str) -> None:
    """Problems in ruleset.toml (version, language cues) are reported."""
    assert any(message in p for p in problems_of(rules_dir(ruleset=ruleset)))


def test_empty_directory(tmp_path: Path) -> None:
    """A directory without rule files is an error."""
    assert "no *.toml rule files" in problems_of(tmp_path)[0]


def test_check_reports_examples_that_do_not_fire(rules_dir: Callable[..., Path]) -> None:
    """check_rules fails when an example phrase does not fire its rule."""
    directory = rules_dir(MINI_RULES.replace('examples_sv = ["hosta"]', 'examples_sv = ["snuva"]'))
    assert check_rules(directory) == ["rule 'T1-cough': sv example 'snuva' does not fire the rule"]
    assert check_rules(rules_dir("rule = 3\n"))[0].startswith("mini.toml")


def test_age_conditions_and_unless(rules_dir: Callable[..., Path]) -> None:
    """age_at_least, age_below and unless gate a rule; any_time accepts history."""
    extra = """
[[rule]]
id = "T3-elderly-cough"
level = "urgent"
tags = ["respiratory"]
title = "t"
source = ["https://www.1177.se/"]
all = [["cough"]]
unless = ["rash"]
age_at_least = 65
age_below = 100
examples_sv = ["hosta"]
examples_en = ["cough"]
example_age = 70

[[rule]]
id = "T4-past-rash"
level = "standard"
tags = ["skin"]
title = "t"
source = ["https://www.1177.se/"]
any_time = [["rash"]]
examples_sv = ["utslag"]
examples_en = ["rash"]
"""
    engine = TriageEngine(load_ruleset(rules_dir(MINI_RULES + extra)))
    assert engine.assess("hosta", 70).level.value == "urgent"
    assert engine.assess("hosta", 40).level.value == "standard"
    assert engine.assess("hosta", 100).level.value == "standard"
    assert engine.assess("hosta och utslag", 70).level.value == "standard"
    assert engine.assess("utslag för tre år sedan", 40).reasons[0].rule_id == "T4-past-rash"


def test_temperature_without_fever_concept(rules_dir: Callable[..., Path]) -> None:
    """A ruleset without a 'fever' concept still handles measured temperatures."""
    directory = rules_dir(MINI_RULES.replace("[concepts.fever]", "[concepts.feber]"))
    assert TriageEngine(load_ruleset(directory)).assess("38,5", 40).reasons == ()
