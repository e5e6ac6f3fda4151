"""The learned safety net: escalate-only, never crashes, explains itself, reproducible.

- property tests: on any text and age the combined level is never less urgent than
  the rules' level, and a raise names the model, its version, a probability and words
  of the text;
- the committed model is what `python -m triage train` makes of the committed corpus
  (byte for byte), and two trainings give the same bytes;
- the model file is JSON only, and a broken one is refused with a clear error;
- the corpus holds what issue 13 asks of it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage import Level
from triage.__main__ import main
from triage.api import DEFAULT_ENGINE, SAFETY_NET, assess, assess_rules
from triage.learned import corpus as corpus_module
from triage.learned.corpus import CorpusError, load_corpus
from triage.learned.escalate import NET_RULE_ID, assess_with_net, escalate
from triage.learned.features import analyze, tokens, windows
from triage.learned.net import DEFAULT_MODEL, HEADS, Model, ModelError, Score
from triage.learned.train import MODEL_VERSION, dumps, train

HERE = Path(__file__).parent
MINI_CORPUS = HERE / "fixtures" / "corpus"
CRITERIA = Path(corpus_module.__file__).resolve().parent.parent / "corpus" / "CRITERIA.md"

WORDS = st.sampled_from(
    ["ont", "i", "bröstet", "inte", "feber", "kan", "andas", "svimmade", "blod", "kräks",
     "vill", "dö", "förnya", "recept", "hosta", "andfådd", "chest", "pain", "can't",
     "breathe", "för", "fem", "år", "sedan", ".", ",", "\n", "mamma", "bebis", "38,5"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=500), age=st.integers(min_value=-5, max_value=200))
def test_never_lowers_and_never_crashes_on_any_text(text: str, age: int) -> None:
    rules = assess_rules(text, age)
    combined = assess(text, age)
    assert combined.level.rank <= rules.level.rank
    assert set(rules.reasons) <= set(combined.reasons)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(WORDS, max_size=60), age=st.integers(min_value=0, max_value=120))
def test_never_lowers_on_symptom_word_soup(words: list[str], age: int) -> None:
    text = " ".join(words)
    rules = assess_rules(text, age)
    combined = assess(text, age)
    assert combined.level.rank <= rules.level.rank
    raised = [r for r in combined.reasons if r.rule_id == NET_RULE_ID]
    if combined.level is not rules.level:
        assert len(raised) == 1
        reason = raised[0]
        assert reason.level is combined.level
        assert reason.model == SAFETY_NET.label
        assert reason.probability is not None
        assert 0.0 <= reason.probability <= 1.0
        folded = text.lower()
        assert all(word.lower() in folded for word in reason.matched)
    else:
        assert raised == []


def test_a_raise_names_model_version_probability_and_words() -> None:
    result = assess("min pappa hänger i ena mungipan sedan en timme och är förvirrad", 78)
    assert result.level is Level.EMERGENCY
    text = "min man svarar konstigt och är grå i ansiktet"
    rules, combined = assess_rules(text, 60), assess(text, 60)
    assert rules.level is Level.STANDARD
    assert combined.level is Level.EMERGENCY
    (reason,) = [r for r in combined.reasons if r.rule_id == NET_RULE_ID]
    version = re.escape(MODEL_VERSION)
    assert re.fullmatch(rf"safety-net {version}\+[0-9a-f]{{8}}", reason.model or "")
    assert reason.to_dict()["probability"] == reason.probability
    assert set(reason.matched) <= set(text.split())
    assert "112" in combined.advice.phone_numbers


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("orkar inte mer, det vore lika bra om allt tog slut", "sv"),
        ("vill bara försvinna", "sv"),
        ("det vore bättre för alla om jag inte fanns", "sv"),
        ("jag vill inte vara med längre", "sv"),
        ("vill somna och aldrig vakna", "sv"),
        ("tänker på döden hela tiden", "sv"),
        ("jag vill inte leva längre", "sv"),
        ("I just want it all to end", "en"),
        ("sometimes I wish I wasn't alive", "en"),
        ("life feels pointless and I think about dying", "en"),
    ],
)
def test_any_suicidal_thought_is_urgent_with_the_suicide_line(text: str, lang: str) -> None:
    """Issue 13 point 4: any mention of suicidal thoughts is at least urgent, and the
    advice gives Självmordslinjen 90101 and 1177 (and 112)."""
    result = assess(text, 19, lang)
    assert result.level.rank <= Level.URGENT.rank
    assert "90101" in result.advice.phone_numbers
    if result.level is Level.URGENT:
        assert "1177" in result.advice.phone_numbers


@pytest.mark.parametrize(
    "text",
    ["vill bara försvinna till landet i helgen", "det vore skönt om förkylningen tog slut"],
)
def test_everyday_wordings_are_not_suicidal_thoughts(text: str) -> None:
    assert "mental_health" not in assess_rules(text, 30).tags


def test_emergency_from_the_rules_is_not_rescored() -> None:
    result = assess("ont i bröstet och kallsvettig", 60)
    assert result.level is Level.EMERGENCY
    assert all(r.model is None for r in result.reasons)


def test_escalate_keeps_a_result_the_net_does_not_raise() -> None:
    base = DEFAULT_ENGINE.assess("vill boka om min tid", 40)
    quiet = Score(dict.fromkeys(HEADS, 0.0), dict.fromkeys(HEADS, ()))
    assert escalate(base, quiet, SAFETY_NET) is base
    loud = Score(dict.fromkeys(HEADS, 1.0), dict.fromkeys(HEADS, ("boka",)))
    raised = escalate(base, loud, SAFETY_NET, outside_hours=True)
    assert raised.level is Level.EMERGENCY
    assert "mental_health" in raised.tags
    urgent_only = Score(
        {"emergency": 0.0, "urgent": 1.0, "mental_health": 0.0}, dict.fromkeys(HEADS, ())
    )
    assert escalate(base, urgent_only, SAFETY_NET).level is Level.URGENT
    urgent = DEFAULT_ENGINE.assess("ont i ena vaden och svullen", 40)
    assert urgent.level is Level.URGENT
    assert escalate(urgent, urgent_only, SAFETY_NET) is urgent


def test_outside_hours_reaches_the_advice() -> None:
    text = "hostar och är lite andfådd"
    result = assess_with_net(DEFAULT_ENGINE, SAFETY_NET, text, 40, "sv", {"outside_hours": True})
    if result.level is Level.URGENT:
        assert "stängd" in result.advice.text


def test_windows_score_a_buried_flag() -> None:
    chatter = "Hej! Jag ville fråga om min tid på torsdag. Min hund mår bra. Vädret är fint. "
    toks = tokens(chatter + "Nu hänger ena mungipan och talet är sluddrigt. Tack!")
    spans = windows(toks)
    assert spans[0] == range(len(toks))
    assert len(spans) > 2
    assert windows([]) == [range(0)]
    assert windows(tokens("bara en mening")) == [range(3)]
    feats = analyze("Bröst", 0)
    assert feats[0] == "a:infant"
    assert "w:brost" in feats
    assert "c: br" in feats
    assert analyze("x", 10)[0] == "a:child"
    assert analyze("x", 80)[0] == "a:elderly"


def test_the_committed_model_is_reproduced_by_the_corpus(tmp_path: Path) -> None:
    """Retraining the committed corpus, in a fresh process, gives the committed model:
    the same vocabulary, heads and version, every number equal to within one unit of
    its 4th decimal. On one machine and environment the bytes are identical (`python
    -m triage train --check`, and the determinism test below); under a full CI run a
    single weight of 180,000 has come out one rounding unit apart (docs/triage.md).
    """
    out = tmp_path / "model.json"
    done = subprocess.run(
        [sys.executable, "-m", "triage", "train", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    fresh = json.loads(out.read_text(encoding="utf-8"))
    committed = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    assert fresh["version"] == committed["version"]
    assert fresh["meta"]["corpus_sha256"] == committed["meta"]["corpus_sha256"]
    assert list(fresh["weights"]) == list(committed["weights"])
    unit = 1.5e-4
    for head, values in committed["heads"].items():
        for key, value in values.items():
            assert abs(fresh["heads"][head][key] - value) <= unit, (head, key)
    apart = [
        feature
        for feature, ws in committed["weights"].items()
        if any(abs(a - b) > 1e-12 for a, b in zip(ws, fresh["weights"][feature], strict=True))
    ]
    assert all(
        abs(a - b) <= unit
        for feature in apart
        for a, b in zip(committed["weights"][feature], fresh["weights"][feature], strict=True)
    )
    assert len(apart) <= 10, apart


def test_training_is_deterministic_and_check_notices_a_stale_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["train", "--corpus", str(MINI_CORPUS), "--out", str(first)]) == 0
    assert "30 texts" in capsys.readouterr().out
    train(MINI_CORPUS, second)
    assert first.read_bytes() == second.read_bytes()
    model = Model.load(first)
    assert model.label.startswith(f"safety-net {MODEL_VERSION}+")
    assert set(model.heads) == set(HEADS)
    second.write_text(dumps({**json.loads(first.read_text()), "name": "other"}))
    assert main(["train", "--corpus", str(MINI_CORPUS), "--out", str(second), "--check"]) == 1
    assert "first difference" in capsys.readouterr().out
    second.write_text(first.read_text() + "\n")
    assert main(["train", "--corpus", str(MINI_CORPUS), "--out", str(second), "--check"]) == 1
    assert main(["train", "--corpus", str(MINI_CORPUS), "--out", str(first), "--check"]) == 0


def test_evaluate_cli_per_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = HERE / "challenge5.jsonl"
    assert main(["evaluate", str(cases), "--engine", "model"]) in (0, 1)
    assert "emergency sensitivity" in capsys.readouterr().out
    assert main(["evaluate", str(cases), "--engine", "combined"]) == 0
    assert main(["evaluate", str(cases), "--engine", "rules"]) == 0


def test_model_file_is_json_and_broken_files_are_refused(tmp_path: Path) -> None:
    text = DEFAULT_MODEL.read_text(encoding="utf-8")
    data = json.loads(text)
    assert set(data) == {"name", "version", "meta", "heads", "weights"}
    assert data["meta"]["corpus_texts"] >= 4000
    bad = tmp_path / "bad.json"
    for content in ("not json", "[1, 2]", '{"name": "x"}'):
        bad.write_text(content)
        with pytest.raises(ModelError):
            Model.load(bad)
    with pytest.raises(ModelError):
        Model.load(tmp_path / "missing.json")
    wrong = {**data, "weights": {"w:x": [1.0]}}
    with pytest.raises(ModelError):
        Model(wrong)


def test_corpus_meets_the_issue() -> None:
    """At least 4,000 texts, a third or more hard negatives, every criterion covered,
    Swedish and English, every style the issue names."""
    examples = load_corpus()
    assert len(examples) >= 4000
    hard = sum(e.kind == "hard_negative" for e in examples)
    assert hard >= len(examples) / 3
    ids = set(re.findall(r"^\| ([ENSU]\d\d[a-z]?) \|", CRITERIA.read_text(), re.MULTILINE))
    covered = {e.criterion for e in examples}
    assert ids <= covered, sorted(ids - covered)
    assert {e.lang for e in examples} == {"sv", "en"}
    styles = {s for e in examples for s in e.style}
    assert {"typo", "no_diacritics", "sms", "relative", "elderly", "teen", "learner", "mixed",
            "long", "short"} <= styles  # fmt: skip


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"text": "x"}', "exactly the fields"),
        ("{}", "exactly the fields"),
    ],
)
def test_corpus_format_errors_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "a.jsonl").write_text(line + "\n")
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def _line(**overrides: object) -> str:
    row: dict[str, object] = {
        "text": "ont i halsen",
        "age": 30,
        "lang": "sv",
        "level": "standard",
        "tags": ["ent"],
        "criterion": "S02",
        "kind": "positive",
        "style": [],
    }
    row.update(overrides)
    return json.dumps(row, ensure_ascii=False)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": "x"}, "text must be"),
        ({"age": 200}, "age must be"),
        ({"age": "30"}, "age must be"),
        ({"lang": "de"}, "lang must be"),
        ({"level": "soon"}, "unknown level"),
        ({"tags": ["nose"]}, "tags must be"),
        ({"style": ["shouty"]}, "style must be"),
        ({"criterion": "X1"}, "criterion must be"),
        ({"kind": "maybe"}, "kind must be"),
    ],
)
def test_corpus_field_errors(tmp_path: Path, overrides: dict[str, object], message: str) -> None:
    (tmp_path / "a.jsonl").write_text(_line(**overrides) + "\n")
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def test_corpus_duplicates_and_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(_line() + "\n\n" + _line(text="Ont  i HALSEN") + "\n")
    with pytest.raises(CorpusError, match=r"same text as a\.jsonl:1"):
        load_corpus(tmp_path)


REPLIES = ["hej", "Hej!", "tack", "Tack så mycket!", "ok", "ja", "nej", "hon sover nu",
           "vi väntar", "thanks", "hi", "okay, we will wait", "när ringer ni?"]  # fmt: skip


@pytest.mark.parametrize("age", [0, 1, 5, 16, 45, 80])
def test_chat_replies_are_never_raised(age: int) -> None:
    """Every patient message is re-triaged: greetings, thanks and replies must not
    reach the net's thresholds at any age (safety-net 1.1.0 raised "hej" to 112)."""
    for text in REPLIES:
        result = assess(text, age)
        assert all(r.model is None for r in result.reasons), (text, age)
