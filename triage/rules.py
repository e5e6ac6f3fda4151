"""Loading and validating the rule files in `triage/rules/` (stdlib tomllib only).

Layout of a rule directory (every `*.toml` file in it is read, in name order):

- `ruleset.toml`: `version` and the `[language.*]` cue lists (negation, history, ...).
- any file: `[concepts.NAME]` tables, each a named list of regex phrasings with `sv`
  and `en` lists, and `[[rule]]` entries, one per clinical criterion.

`load_ruleset()` either returns a fully compiled `Ruleset` or raises `RulesetError`
listing every problem found, so a clinician sees all mistakes at once.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from triage.model import LANGUAGES, TAGS, Level
from triage.prefilter import START_LEN, literal_prefixes, required_literals

DEFAULT_RULES_DIR = Path(__file__).parent / "rules"

# `{g3}` in a pattern means "up to three words in between"; it keeps the TOML readable.
_GAP = re.compile(r"\{g(\d)\}")
# A gap never spans a negation word: "my face isn't drooping" and "ögat gör inte ont"
# are not "face … drooping" / "ögat … ont". Negations spelt out in a phrasing itself
# ("kan inte andas") are not in a gap and still match.
# `{ont}` is "ont" ("pain") with the colloquial intensifier compounds patients write as
# one word ("jätteont i örat", "skitont i kulan"), which a phrasing anchored at a word
# start would otherwise miss. "Värk" and "smärta" are its synonyms in the same slot
# ("värk i örat", "smärta i magen" = "ont i örat", "ont i magen").
_ONT = "(jatteont|sjuktont|skitont|asont|megaont|ont|vark|smarta|smartor|smartan)"
_GAP_WORD = (
    r"(?!(?:inte|int|ej|aldrig|ingen|inget|inga|not|no|never|\w+n't|isnt|arent|doesnt|dont"
    r"|didnt|wasnt|werent|hasnt|havent|cant|wont|couldnt)\b)[\w'-]+\s+"
)

_LANGUAGE_SECTIONS = (
    "negation_cue",
    "pseudo_negation",
    "negation_boundary",
    "negation_after",
    "clause_boundary",
    "history",
    "ongoing",
    "mild_before",
    "mild_after",
)

_RULE_KEYS = frozenset(
    {
        "id",
        "level",
        "tags",
        "title",
        "source",
        "all",
        "any_time",
        "unless",
        "ignore_mild",
        "age_below",
        "age_at_least",
        "age_months_below",
        "age_months_at_least",
        "temp_at_least",
        "examples_sv",
        "examples_en",
        "example_age",
    }
)


# Per scan phrasing: the literals a match must contain (None: unknown).
ScanNeeds = tuple[tuple[frozenset[str], ...] | None, ...]


class RulesetError(Exception):
    """The rule files are invalid; `problems` holds one message per mistake."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid triage rules:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Concept:
    """A named symptom or finding with its Swedish and English phrasings."""

    name: str
    sv: tuple[str, ...]
    en: tuple[str, ...]
    # For each literal start, a regex of only the phrasings that can begin with it,
    # tried anchored at matching word starts (see prefilter.py); phrasings without a
    # literal start are in `scan`, run over the whole text.
    by_prefix: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    scan: re.Pattern[str] | None = None
    # For each phrasing in `scan`, the literals a match must contain (see
    # prefilter.required_literals; None: unknown). `scan` is only run when at least one
    # phrasing's literals all occur in the text.
    scan_needs: ScanNeeds = ()
    # For each key of `by_prefix`, the longer literal starts (prefilter.START_LEN) of its
    # phrasings: its regex can only match where the text starts with one of them.
    starts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """One clinical criterion: which concepts must be present, and what level it gives."""

    id: str
    level: Level
    tags: frozenset[str]
    title: str
    sources: tuple[str, ...]
    # Each inner tuple is "any of these concepts"; every group must be satisfied.
    all_of: tuple[tuple[str, ...], ...]
    # Like all_of, but a past (historical) mention also counts, e.g. the tick bite
    # three weeks ago behind an erythema migrans.
    any_time: tuple[tuple[str, ...], ...]
    # Any current mention of these concepts stops the rule.
    unless: tuple[str, ...]
    ignore_mild: bool
    age_below: int | None
    age_at_least: int | None
    age_months_below: float | None
    age_months_at_least: float | None
    temp_at_least: float | None
    examples_sv: tuple[str, ...]
    examples_en: tuple[str, ...]
    example_age: int

    @property
    def concept_names(self) -> frozenset[str]:
        """Every concept the rule refers to."""
        names = {c for group in self.all_of + self.any_time for c in group}
        return frozenset(names | set(self.unless))


@dataclass(frozen=True)
class Language:
    """Compiled cue patterns used to decide negation, history and mildness."""

    negation_cue: re.Pattern[str]
    pseudo_negation: re.Pattern[str]
    negation_boundary: re.Pattern[str]
    negation_after: re.Pattern[str]
    clause_boundary: re.Pattern[str]
    history: re.Pattern[str]
    ongoing: re.Pattern[str]
    mild_before: re.Pattern[str]
    mild_after: re.Pattern[str]
    negation_window: int


@dataclass(frozen=True)
class Ruleset:
    """Everything the engine needs, compiled once."""

    version: str
    concepts: Mapping[str, Concept]
    rules: tuple[Rule, ...]
    language: Language
    files: tuple[str, ...] = field(default=())


def expand(pattern: str) -> str:
    """Expand the `{gN}` word-gap and `{ont}` shorthands into a regex."""
    pattern = pattern.replace("{ont}", _ONT)
    return _GAP.sub(lambda m: "(?:" + _GAP_WORD + "){0," + m.group(1) + "}", pattern)


def _compile(
    patterns: list[str], where: str, problems: list[str], *, words: bool
) -> re.Pattern[str]:
    for pattern in patterns:
        try:
            re.compile(expand(pattern))
        except re.error as exc:
            problems.append(f"{where}: bad regex {pattern!r}: {exc}")
    good = [expand(p) for p in patterns if _compiles(expand(p))]
    body = "|".join(f"(?:{p})" for p in good) or r"(?!x)x"
    return re.compile(rf"\b(?:{body})\b" if words else rf"(?:{body})")


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _str_list(value: object, where: str, problems: list[str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{where}: must be a list of non-empty strings")
        return []
    return list(value)


def _by_language(table: object, where: str, problems: list[str]) -> dict[str, list[str]]:
    if not isinstance(table, dict):
        problems.append(f"{where}: must be a table with {' and '.join(LANGUAGES)} lists")
        return {lang: [] for lang in LANGUAGES}
    result: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        if lang not in table or not table[lang]:
            problems.append(f"{where}: missing language {lang!r}")
            result[lang] = []
        else:
            result[lang] = _str_list(table[lang], f"{where}.{lang}", problems)
    for key in table:
        if key not in LANGUAGES:
            problems.append(f"{where}: unknown key {key!r}")
    return result


def _load_concepts(
    data: dict[str, object], fname: str, concepts: dict[str, Concept], problems: list[str]
) -> None:
    table = data.get("concepts", {})
    if not isinstance(table, dict):
        problems.append(f"{fname}: [concepts] must be a table")
        return
    for name, body in table.items():
        where = f"{fname}: concept {name!r}"
        if name in concepts:
            problems.append(f"{where}: duplicate concept name")
            continue
        if isinstance(body, dict) and "near" in body:
            langs = _near(body, where, concepts, problems)
        else:
            langs = _by_language(body, where, problems)
        # Validates the regexes (reporting bad ones); matching uses the split below.
        _compile(langs["sv"] + langs["en"], where, problems, words=False)
        split = _split_by_prefix(langs["sv"] + langs["en"])
        concepts[name] = Concept(name, tuple(langs["sv"]), tuple(langs["en"]), *split)


def _near(
    body: dict[str, object], where: str, concepts: Mapping[str, Concept], problems: list[str]
) -> dict[str, list[str]]:
    """The phrasings of a `near` concept: two earlier concepts within `window` words.

    `near = ["chest_region", "pressure_word"]`, `window = 3` matches a phrasing of either
    followed, with at most `window` words in between, by a phrasing of the other, in
    either order: "bröstet känns tungt", "tryck över hela bröstet", "chest is so tight".
    The gap is a `{gN}` gap: it never spans a negation word or a punctuation mark, so
    both halves stand in one clause and neither is negated in between. One such concept
    stands for every body-part × descriptor wording that the two lists can form.
    """
    parts, window = body.get("near"), body.get("window")
    extra = set(body) - {"near", "window"}
    if (
        not isinstance(parts, list)
        or len(parts) != 2  # a pair
        or not all(isinstance(part, str) and part in concepts for part in parts)
        or not isinstance(window, int)
        or not 0 <= window <= 9  # {gN} takes one digit
        or extra
    ):
        problems.append(
            f"{where}: near must name two concepts defined before it, with a window of 0-9 words"
        )
        return {lang: [] for lang in LANGUAGES}
    first, second = (concepts[part] for part in parts)
    result: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        a = "|".join(f"(?:{p})" for p in getattr(first, lang))
        b = "|".join(f"(?:{p})" for p in getattr(second, lang))
        result[lang] = [f"(?:{a}) {{g{window}}}(?:{b})", f"(?:{b}) {{g{window}}}(?:{a})"]
    return result


def _anchored(patterns: list[str]) -> re.Pattern[str]:
    # Concepts anchor at a word start only: inflected endings and compounds
    # ("bröstsmärtor", "ryggskottet") are written into the patterns with \w*.
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + ")")


def _split_by_prefix(
    patterns: list[str],
) -> tuple[
    dict[str, re.Pattern[str]], re.Pattern[str] | None, ScanNeeds, dict[str, tuple[str, ...]]
]:
    grouped: dict[str, list[str]] = {}
    for pattern in patterns:
        expanded = expand(pattern)
        if not _compiles(expanded):
            continue
        for prefix in literal_prefixes([expanded]):
            grouped.setdefault(prefix, []).append(expanded)
    scan = grouped.pop("", None)
    by_prefix = {prefix: _anchored(group) for prefix, group in grouped.items()}
    starts = {
        prefix: tuple(sorted(literal_prefixes(group, START_LEN)))
        for prefix, group in grouped.items()
    }
    if scan is None:
        return by_prefix, None, (), starts
    return by_prefix, _anchored(scan), tuple(required_literals(p) for p in scan), starts


def _groups(value: object, where: str, problems: list[str]) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        problems.append(f"{where}: must be a list of lists of concept names")
        return ()
    groups = []
    for group in value:
        names = _str_list(group, where, problems)
        if names:
            groups.append(tuple(names))
    return tuple(groups)


def _optional_number(
    body: dict[str, object], key: str, where: str, problems: list[str]
) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{where}: {key} must be a number")
        return None
    return float(value)


def _load_rule(body: object, fname: str, problems: list[str]) -> Rule | None:
    if not isinstance(body, dict):
        problems.append(f"{fname}: every [[rule]] must be a table")
        return None
    rule_id = body.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        problems.append(f"{fname}: a rule has no id")
        return None
    where = f"{fname}: rule {rule_id!r}"
    start = len(problems)
    for key in body:
        if key not in _RULE_KEYS:
            problems.append(f"{where}: unknown key {key!r}")
    level_name = body.get("level")
    levels = {lvl.value for lvl in Level}
    if level_name not in levels:
        problems.append(f"{where}: unknown level {level_name!r} (use one of {sorted(levels)})")
    tags = _str_list(body.get("tags", []), f"{where}.tags", problems)
    for tag in tags:
        if tag not in TAGS:
            problems.append(f"{where}: unknown tag {tag!r}")
    title = body.get("title")
    if not isinstance(title, str) or not title:
        problems.append(f"{where}: missing title")
    sources = _str_list(body.get("source", []), f"{where}.source", problems)
    if not sources:
        problems.append(f"{where}: missing source (a public URL for the criterion)")
    for url in sources:
        if not url.startswith(("https://", "http://")):
            problems.append(f"{where}: source {url!r} is not a URL")
    all_of = _groups(body.get("all", []), f"{where}.all", problems)
    any_time = _groups(body.get("any_time", []), f"{where}.any_time", problems)
    if not all_of and not any_time:
        problems.append(f"{where}: needs at least one group in 'all' or 'any_time'")
    unless = _str_list(body.get("unless", []), f"{where}.unless", problems)
    examples = {}
    for lang in LANGUAGES:
        examples[lang] = _str_list(body.get(f"examples_{lang}", []), where, problems)
        if not examples[lang]:
            problems.append(f"{where}: missing language {lang!r} (examples_{lang})")
    ignore_mild = body.get("ignore_mild", False)
    if not isinstance(ignore_mild, bool):
        problems.append(f"{where}: ignore_mild must be true or false")
    numbers = {
        key: _optional_number(body, key, where, problems)
        for key in (
            "age_below",
            "age_at_least",
            "age_months_below",
            "age_months_at_least",
            "temp_at_least",
            "example_age",
        )
    }
    if len(problems) > start:
        return None
    age_below, age_at_least, example_age = (
        numbers["age_below"],
        numbers["age_at_least"],
        numbers["example_age"],
    )
    return Rule(
        id=rule_id,
        level=Level(level_name),
        tags=frozenset(tags),
        title=str(title),
        sources=tuple(sources),
        all_of=all_of,
        any_time=any_time,
        unless=tuple(unless),
        ignore_mild=bool(ignore_mild),
        age_below=None if age_below is None else int(age_below),
        age_at_least=None if age_at_least is None else int(age_at_least),
        age_months_below=numbers["age_months_below"],
        age_months_at_least=numbers["age_months_at_least"],
        temp_at_least=numbers["temp_at_least"],
        examples_sv=tuple(examples["sv"]),
        examples_en=tuple(examples["en"]),
        example_age=40 if example_age is None else int(example_age),
    )


def _load_language(data: dict[str, object], problems: list[str]) -> Language:
    table = data.get("language")
    if not isinstance(table, dict):
        problems.append("ruleset.toml: missing [language] section")
        table = {}
    compiled: dict[str, re.Pattern[str]] = {}
    for section in _LANGUAGE_SECTIONS:
        where = f"ruleset.toml: language.{section}"
        if section not in table:
            problems.append(f"{where}: missing")
            langs: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
        else:
            langs = _by_language(table[section], where, problems)
        # Boundaries include punctuation, so they are not wrapped in \b.
        words = section not in ("negation_boundary", "clause_boundary")
        compiled[section] = _compile(langs["sv"] + langs["en"], where, problems, words=words)
    window = table.get("negation_window", 3)
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        problems.append("ruleset.toml: language.negation_window must be a non-negative integer")
        window = 3
    return Language(negation_window=window, **compiled)


def _version(
    directory: Path, files: list[Path], data: dict[str, object], problems: list[str]
) -> str:
    declared = data.get("version")
    if not isinstance(declared, str) or not declared:
        problems.append("ruleset.toml: missing version")
        declared = "0"
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    # The content hash makes any edit visible in audit logs even if nobody bumps version.
    return f"{declared}+{digest.hexdigest()[:8]}"


def load_ruleset(directory: Path = DEFAULT_RULES_DIR) -> Ruleset:
    """Read, validate and compile every rule file in `directory`."""
    problems: list[str] = []
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise RulesetError([f"{directory}: no *.toml rule files"])
    concepts: dict[str, Concept] = {}
    rules: list[Rule] = []
    ruleset_data: dict[str, object] = {}
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{path.name}: not valid TOML: {exc}")
            continue
        if path.name == "ruleset.toml":
            ruleset_data = data
        _load_concepts(data, path.name, concepts, problems)
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            problems.append(f"{path.name}: 'rule' must be an array of tables ([[rule]])")
            continue
        for body in raw_rules:
            rule = _load_rule(body, path.name, problems)
            if rule is not None:
                rules.append(rule)
    language = _load_language(ruleset_data, problems)
    version = _version(directory, files, ruleset_data, problems)
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            problems.append(f"rule {rule.id!r}: duplicate id")
        seen.add(rule.id)
        for name in sorted(rule.concept_names - concepts.keys()):
            problems.append(f"rule {rule.id!r}: unknown concept {name!r}")
    if problems:
        raise RulesetError(problems)
    return Ruleset(
        version=version,
        concepts=concepts,
        rules=tuple(sorted(rules, key=lambda r: (r.level.rank, r.id))),
        language=language,
        files=tuple(p.name for p in files),
    )
