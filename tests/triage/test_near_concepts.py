"""`near` concepts (region × descriptor in one clause) and the safety net built from them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.triage.conftest import MINI_RULES
from tests.triage.test_rules_loader import problems_of

# These pin the rules; the safety net on top is scored in test_safety_net.py and
# test_challenge_sets.py.
from triage.api import assess_rules as assess
from triage.engine import TriageEngine
from triage.model import Level
from triage.rules import load_ruleset

NEAR = """
[concepts.cough_fever]
near = ["cough", "fever"]
window = 2
"""

RULE = """
[[rule]]
id = "T3-near"
level = "urgent"
tags = ["respiratory"]
title = "t"
source = ["https://www.1177.se/"]
all = [["cough_fever"]]
examples_sv = ["hosta och feber"]
examples_en = ["fever with a cough"]
"""


def test_near_concept_matches_either_order_within_the_window(
    rules_dir: Callable[..., Path],
) -> None:
    """Either half may come first, with up to `window` words between, in one clause and
    with no negation in the gap."""
    engine = TriageEngine(load_ruleset(rules_dir(MINI_RULES + NEAR + RULE)))
    assert engine.assess("hostar mycket och feber", 30).level is Level.URGENT
    assert engine.assess("fever and bad cough", 30, "en").level is Level.URGENT
    assert engine.assess("hosta, i går feber", 30).level is Level.STANDARD  # comma
    assert engine.assess("hostar en hel del nu och feber", 30).level is Level.STANDARD
    assert engine.assess("cough but not fever", 30, "en").level is Level.STANDARD


@pytest.mark.parametrize(
    "near",
    [
        'near = ["cough"]\nwindow = 2',
        'near = ["cough", "wheeze"]\nwindow = 2',
        'near = ["cough", "fever"]\nwindow = 10',
        'near = ["cough", "fever"]\nwindow = "2"',
        'near = ["cough", "fever"]\nwindow = 2\nsv = ["x"]',
        'near = "cough"\nwindow = 2',
    ],
)
def test_bad_near_concepts_are_reported(rules_dir: Callable[..., Path], near: str) -> None:
    """A `near` that does not name two earlier concepts with a 0-9 word window is reported."""
    content = MINI_RULES + "\n[concepts.cough_fever]\n" + near + "\n"
    problems = problems_of(rules_dir(content))
    assert any("near must name two concepts defined before it" in p for p in problems), problems


@pytest.mark.parametrize(
    ("text", "lang", "rule"),
    [
        ("bröstet känns så tungt och jag är kallsvettig", "sv", "E01-chest-pain-acs"),
        ("tight feeling across my chest for an hour and sweaty", "en", "E01-chest-pain-acs"),
        ("extremt ont i huvudet helt plötsligt", "sv", "E11-thunderclap-headache"),
        ("blinding headache came on in seconds", "en", "E11-thunderclap-headache"),
        ("blodet forsar ur såret", "sv", "E06-heavy-bleeding"),
        ("it is bleeding everywhere and wont stop", "en", "E06-heavy-bleeding"),
    ],
)
def test_safety_net_catches_unlisted_wordings(text: str, lang: str, rule: str) -> None:
    """Region × severity wordings that no phrasing lists still reach the emergency rule."""
    result = assess(text, 55, lang)
    assert result.level is Level.EMERGENCY
    assert result.reasons[0].rule_id == rule


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ingen tyngd i bröstet, bara hosta", "sv"),
        ("chest not tight, just a cough", "en"),
        ("värsta migränen på länge", "sv"),
        ("lite huvudvärk, inte värsta", "sv"),
        ("bröstet kliar och tungan har en blåsa", "sv"),
        ("blodprovet visade överallt normala värden", "sv"),
    ],
)
def test_safety_net_leaves_negated_and_unrelated_wordings(text: str, lang: str) -> None:
    """Negated halves, migraine, the tongue ("tungan") and blood tests do not escalate."""
    assert assess(text, 40, lang).level is not Level.EMERGENCY
