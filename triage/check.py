"""`python -m triage check`: validate rule files and prove each rule's examples fire it."""

from __future__ import annotations

from pathlib import Path

from triage.engine import TriageEngine
from triage.rules import RulesetError, load_ruleset


def check_rules(directory: Path) -> list[str]:
    """Every problem in the rule files of `directory` (empty when all is well).

    Beyond what the loader checks (TOML syntax, unknown tags/levels/concepts,
    duplicate ids, bad regexes, missing source or language), every `examples_sv` and
    `examples_en` phrase must make its own rule fire.
    """
    try:
        ruleset = load_ruleset(directory)
    except RulesetError as exc:
        return exc.problems
    engine = TriageEngine(ruleset)
    problems = []
    for rule in ruleset.rules:
        for lang, examples in (("sv", rule.examples_sv), ("en", rule.examples_en)):
            for example in examples:
                result = engine.assess(example, rule.example_age, lang)
                if rule.id not in {reason.rule_id for reason in result.reasons}:
                    problems.append(
                        f"rule {rule.id!r}: {lang} example {example!r} does not fire the rule"
                    )
    return problems
