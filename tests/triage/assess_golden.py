"""Golden outputs of `triage.assess`, so a faster implementation can prove it changed nothing.

The cases are every text of `triage/corpus/*.jsonl` and `tests/triage/*.jsonl` (at its own
age and language, and again at another age, some with structured answers), plus texts
spliced from corpus clauses with a fixed seed. Each case's full output (`to_dict()` of the
result and of its advice, and the safety net's probabilities to the last bit) is reduced
to a short digest; `tests/triage/fixtures/assess_golden.json` holds them per source file,
in case order.

Regenerate after an intended change of the rules or the model (never to make a speed-up
pass)::

    .venv/bin/python -m tests.triage.assess_golden
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.api import SAFETY_NET, assess

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("fixtures") / "assess_golden.json"
SOURCES = (ROOT / "triage" / "corpus", Path(__file__).parent)
# Other ages each text is also assessed at (cycled): infant, child, teen, adult, elderly.
OTHER_AGES = (0, 4, 15, 40, 82)
# Structured answers given with every ANSWERS_EVERY-th text's second case.
ANSWERS: tuple[dict[str, object], ...] = (
    {"temperature_c": 38.6},
    {"outside_hours": True},
    {"age_months": 2, "temperature_c": 38.0},
    {"fever": False, "outside_hours": True},
    {"temperature_c": 36.9},
)
ANSWERS_EVERY = 7
SPLICED = 1500
DIGEST_CHARS = 8
_SEED = 20261202
_CLAUSE = re.compile(r"[^.!?;\n]+[.!?;\n]*")


@dataclass(frozen=True)
class Case:
    """One call of `assess`: an id that names where its text came from, and the arguments."""

    id: str
    text: str
    age: int
    lang: str
    answers: dict[str, object] | None = None


def _lines() -> Iterator[tuple[str, dict[str, object]]]:
    for directory in SOURCES:
        for path in sorted(directory.glob("*.jsonl")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    yield f"{path.name}:{number}", json.loads(line)


def cases() -> list[Case]:
    """Every case, in a fixed order (the same list on every machine)."""
    out: list[Case] = []
    clauses: dict[str, list[str]] = {"sv": [], "en": []}
    for i, (where, raw) in enumerate(_lines()):
        text, age, lang = str(raw["text"]), int(str(raw["age"])), str(raw["lang"])
        out.append(Case(where, text, age, lang))
        answers = ANSWERS[i // ANSWERS_EVERY % len(ANSWERS)] if i % ANSWERS_EVERY == 0 else None
        out.append(Case(f"{where}@", text, OTHER_AGES[i % len(OTHER_AGES)], lang, answers))
        clauses[lang].extend(m.group().strip() for m in _CLAUSE.finditer(text))
    rng = random.Random(_SEED)
    for i in range(SPLICED):
        lang = ("sv", "en")[i % 2]
        parts = rng.sample(clauses[lang], rng.randint(1, 6))
        text = " ".join(parts) if i % 3 else "\n".join(parts).upper()
        out.append(Case(f"spliced:{i}", text, rng.choice(OTHER_AGES), lang))
    return out


def output(case: Case) -> dict[str, object]:
    """Everything `assess` gives for `case`, and the net's probabilities (repr: every bit)."""
    result = assess(case.text, case.age, case.lang, case.answers)
    score = SAFETY_NET.score(case.text, case.age)
    return {
        "result": result.to_dict(),
        "advice": result.advice.to_dict(),
        "net": {head: repr(p) for head, p in sorted(score.probability.items())},
        "top": {head: list(words) for head, words in sorted(score.top_words.items())},
    }


def digest(case: Case) -> str:
    """A short digest of `output(case)` (JSON with sorted keys).

    32 bits: a changed output keeps its digest with odds of one in four billion.
    """
    blob = json.dumps(output(case), sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:DIGEST_CHARS]


def source(case: Case) -> str:
    """The file (or "spliced") a case's text came from: the golden file's keys."""
    return case.id.split(":", 1)[0]


def digests() -> dict[str, list[str]]:
    """Per source, the digests of its cases in `cases()` order."""
    out: dict[str, list[str]] = {}
    for case in cases():
        out.setdefault(source(case), []).append(digest(case))
    return out


def main() -> None:
    """Write the golden file from the current implementation."""
    golden = digests()
    GOLDEN.write_text(json.dumps(golden, indent=0) + "\n", encoding="utf-8")
    print(f"{sum(map(len, golden.values()))} cases -> {GOLDEN}")


if __name__ == "__main__":
    main()
