"""Both languages complete: every text key exists in Swedish and English and
every key the client's HTML and JavaScript use is defined."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "webclient"
# The pages and modules of the patient chat, staff dashboard and shared assets.
OWNED_HTML = ["index.html", "staff.html", "accessibility.html"]
OWNED_JS_DIRS = ["common", "patient", "staff"]

ATTR_KEYS = re.compile(r'data-i18n="([^"]+)"')
ATTR_PAIRS = re.compile(r'data-i18n-attr="([^"]+)"')
JS_CALL = re.compile(r"\bt\(\s*'([^']+)'")
JS_DYNAMIC = re.compile(r"\bt\(\s*`([a-z_.]+)\$\{")
PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Dynamic keys (t(`level.${x}`)) take their suffix from these closed sets.
ENUMS = {
    "level.": ["emergency", "urgent", "standard", "non_urgent"],
    "outcome.": [
        "resolved_in_chat",
        "physical_visit_booked",
        "video_visit_booked",
        "phone_callback",
        "referred_emergency",
        "referred_other_unit",
        "patient_left",
        "no_response",
    ],
    "otherwise.": ["physical_visit", "phone", "video", "self_care", "unknown"],
    "unavailable.": [
        "unit_closed.heading",
        "unit_closed.text",
        "queue_full.heading",
        "queue_full.text",
    ],
    "intake.err_": ["unit", "text", "age", "name"],
}


def load(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WEB / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def used_keys() -> set[str]:
    keys: set[str] = set()
    for name in OWNED_HTML:
        html = (WEB / name).read_text("utf-8")
        keys.update(ATTR_KEYS.findall(html))
        for pairs in ATTR_PAIRS.findall(html):
            keys.update(p.split(":", 1)[1].strip() for p in pairs.split(";") if ":" in p)
    for folder in OWNED_JS_DIRS:
        for js in (WEB / folder).glob("*.js"):
            keys.update(JS_CALL.findall(js.read_text("utf-8")))
    return keys


def dynamic_prefixes() -> set[str]:
    found: set[str] = set()
    for folder in OWNED_JS_DIRS:
        for js in (WEB / folder).glob("*.js"):
            found.update(JS_DYNAMIC.findall(js.read_text("utf-8")))
    return found


def test_same_keys_in_both_languages() -> None:
    """sv.json and en.json define exactly the same keys, none empty."""
    sv, en = load("sv"), load("en")
    assert sorted(set(sv) ^ set(en)) == []
    assert [k for k, v in {**sv, **en}.items() if not isinstance(v, str) or not v.strip()] == []


def test_placeholders_match() -> None:
    """A text's {placeholders} are the same in both languages."""
    sv, en = load("sv"), load("en")
    mismatched = [
        k for k in sv if set(PLACEHOLDER.findall(sv[k])) != set(PLACEHOLDER.findall(en[k]))
    ]
    assert mismatched == []


def test_every_used_key_is_defined() -> None:
    """Every data-i18n key in the pages and every t('key') in the modules exists."""
    sv, en = load("sv"), load("en")
    keys = used_keys()
    assert len(keys) > 100
    assert sorted(k for k in keys if k not in sv) == []
    assert sorted(k for k in keys if k not in en) == []


def test_dynamic_keys_cover_their_enums() -> None:
    """Keys built at run time (level.*, outcome.*, ...) exist for every value."""
    sv, en = load("sv"), load("en")
    prefixes = dynamic_prefixes() - {"error."}  # error.<code> falls back to error.generic
    assert sorted(prefixes - set(ENUMS)) == []
    missing = [
        f"{p}{v}" for p in prefixes for v in ENUMS[p] if f"{p}{v}" not in sv or f"{p}{v}" not in en
    ]
    assert missing == []


def test_key_checker_catches_a_missing_key(tmp_path: Path) -> None:
    """The checker's patterns find keys in attribute, attribute-pair and call form."""
    html = '<p data-i18n="a.b"></p><b data-i18n-attr="aria-label:c.d;title:e.f"></b>'
    js = "t('g.h'); t(`level.${x}`)"
    assert ATTR_KEYS.findall(html) == ["a.b"]
    assert ATTR_PAIRS.findall(html) == ["aria-label:c.d;title:e.f"]
    assert JS_CALL.findall(js) == ["g.h"]
    assert JS_DYNAMIC.findall(js) == ["level."]
