"""The training corpus: `triage/corpus/*.jsonl`, one labelled patient text per line.

The line format is documented in `triage/corpus/CRITERIA.md`; `load_corpus` checks
every line against it and names the file and line of the first problem.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from triage.model import TAGS, Level

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
FIELDS = frozenset({"text", "age", "lang", "level", "tags", "criterion", "kind", "style"})
KINDS = frozenset({"positive", "hard_negative"})
STYLES = frozenset(
    {
        "typo",
        "no_diacritics",
        "sms",
        "relative",
        "child_voice",
        "elderly",
        "teen",
        "learner",
        "mixed",
        "long",
        "short",
        "formal",
    }
)
CRITERION = re.compile(r"^[ENSU]\d\d[a-z]?$")
# Two characters: chat replies such as "ok" and "ja" are texts the net must know too.
MIN_TEXT = 2
MAX_TEXT = 1200
MAX_AGE = 105


class CorpusError(ValueError):
    """A corpus line that does not follow the documented format."""


@dataclass(frozen=True)
class Example:
    """One labelled text."""

    text: str
    age: int
    lang: str
    level: Level
    tags: frozenset[str]
    criterion: str
    kind: str
    style: frozenset[str]
    where: str


def _example(raw: object, where: str) -> Example:
    if not isinstance(raw, dict) or set(raw) != FIELDS:
        raise CorpusError(f"{where}: expected exactly the fields {sorted(FIELDS)}")
    text, age, level = raw["text"], raw["age"], raw["level"]
    if not isinstance(text, str) or not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise CorpusError(f"{where}: text must be {MIN_TEXT}..{MAX_TEXT} characters")
    if type(age) is not int or not 0 <= age <= MAX_AGE:
        raise CorpusError(f"{where}: age must be an integer 0..{MAX_AGE}")
    if raw["lang"] not in ("sv", "en"):
        raise CorpusError(f"{where}: lang must be sv or en")
    if level not in {lvl.value for lvl in Level}:
        raise CorpusError(f"{where}: unknown level {level!r}")
    tags, style = raw["tags"], raw["style"]
    if not isinstance(tags, list) or not set(tags) <= TAGS:
        raise CorpusError(f"{where}: tags must be a list of known topic tags")
    if not isinstance(style, list) or not set(style) <= STYLES:
        raise CorpusError(f"{where}: style must be a list of known style markers")
    criterion = raw["criterion"]
    if not isinstance(criterion, str) or not CRITERION.match(criterion):
        raise CorpusError(f"{where}: criterion must be an id like E01 or U19")
    if raw["kind"] not in KINDS:
        raise CorpusError(f"{where}: kind must be positive or hard_negative")
    return Example(
        text=text,
        age=age,
        lang=raw["lang"],
        level=Level(level),
        tags=frozenset(tags),
        criterion=criterion,
        kind=raw["kind"],
        style=frozenset(style),
        where=where,
    )


def corpus_files(directory: Path = DEFAULT_CORPUS) -> list[Path]:
    """The corpus files, in name order (training reads them in this order)."""
    return sorted(directory.glob("*.jsonl"))


def load_corpus(directory: Path = DEFAULT_CORPUS) -> list[Example]:
    """Every example of every corpus file; a repeated text (after case folding) is an error."""
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for path in corpus_files(directory):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                raw = json.loads(line)
            except ValueError as exc:
                raise CorpusError(f"{where}: not JSON ({exc})") from exc
            example = _example(raw, where)
            key = " ".join(example.text.lower().split())
            if key in seen:
                raise CorpusError(f"{where}: same text as {seen[key]}")
            seen[key] = where
            examples.append(example)
    return examples


def corpus_digest(directory: Path = DEFAULT_CORPUS) -> str:
    """SHA-256 over the corpus files' names and bytes, in training order."""
    digest = hashlib.sha256()
    for path in corpus_files(directory):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
