"""One translation system for every page, both languages complete: every text
key exists in Swedish and English, every key the pages' HTML and JavaScript
use is defined, and no page keeps texts of its own."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from triage.model import TAGS

WEB = Path(__file__).resolve().parents[2] / "webclient"
# Every page and every folder of modules.
PAGES = [
    "index.html",
    "staff.html",
    "manager.html",
    "admin.html",
    "audit.html",
    "accessibility.html",
    "access-log.html",
]
JS_DIRS = ["common", "patient", "staff", "admin", "manager", "audit"]

ATTR_KEYS = re.compile(r'data-i18n(?:-both)?="([^"]+)"')
ATTR_PAIRS = re.compile(r'data-i18n-attr="([^"]+)"')
# A key in the modules: the first argument of the text functions of
# common/i18n.js (and the log review's sv()/en()), or a quoted dotted value of
# a property (tables such as {key: 'chat.staff'} or {title: 'manager.sec_summary'}).
JS_CALL = re.compile(
    r"\b(?:t|has|both|bothTexts|sv|en)\(\s*'([^']+)'|\btextIn\(\s*'\w+',\s*'([^']+)'"
)
JS_PROPERTY = re.compile(r"""(?:\b[\w$]+|'data-i18n')\s*:\s*'([a-z0-9]+\.[\w.-]+)'""")
JS_DYNAMIC = re.compile(r"(?:\bt\(|\bhas\(|\bkey:)\s*`([a-z_.]+)\$\{")
PLACEHOLDER = re.compile(r"\{(\w+)\}")

LEVELS = ["emergency", "urgent", "standard", "non_urgent"]
OUTCOMES = [
    "resolved_in_chat",
    "physical_visit_booked",
    "video_visit_booked",
    "phone_callback",
    "referred_emergency",
    "referred_other_unit",
    "patient_left",
    "no_response",
]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SAFETY_FIGURES = [
    "screens_answered",
    "screens_yes",
    "screens_yes_continued",
    "followups_asked",
    "followups_yes",
    "model_raised",
    "model_raised_overridden_down",
    "model_false_alarm_rate",
]
# Column and row names of the statistics tables (chatserver/stats/tables.py)
# that the manager page shows in words; others (h00..h23) are shown as they are.
STATS_NAMES = [
    *["start", "chat_contacts", "chat_resolved", "shifted_from_physical", "physical_visits"],
    *["phone_contacts", "video_visits", "chat_share", "figure", "value", "count", "median_s"],
    *["p90_s", "mean_s", "outcome", "contacts", "level", "intake", "current", "weekday"],
    *["user_id", "display_name", "assignments", "peak", "mean", "from", "to"],
    *["emergency_advised", "queued", "picked", "abandoned", "abandonment_rate"],
    *["triage_overrides_up", "triage_overrides_down", "satisfaction_mean"],
    *["satisfaction_response_rate", "concurrency_peak", "waiting_to_pick", "first_staff_reply"],
    *["handling", "open", *OUTCOMES, *LEVELS, *WEEKDAYS],
]

# Dynamic keys (t(`level.${x}`)) take their suffix from these closed sets.
ENUMS = {
    "level.": LEVELS,
    "outcome.": OUTCOMES,
    "otherwise.": ["physical_visit", "phone", "video", "self_care", "unknown"],
    "unavailable.": [
        "unit_closed.heading",
        "unit_closed.text",
        "queue_full.heading",
        "queue_full.text",
    ],
    "intake.err_": ["unit", "text", "age", "name"],
    "admin.sev_": ["info", "warning", "critical"],
    "admin.role_": ["nurse", "doctor", "manager", "admin"],
    "admin.day_": WEEKDAYS,
    "manager.chart_": ["chat-share", "shifted", "outcomes", "triage-levels", "busiest-hours"],
    "manager.ts_": [*SAFETY_FIGURES, *(f"{f}_hint" for f in SAFETY_FIGURES)],
    "stats.": STATS_NAMES,
    "staff.identity_method_": ["bankid", "freja", "eid"],
    # Queue rows and chat headers: the patient's language, triage tags in words.
    "staff.lang.": ["sv", "en"],
    "staff.tag.": sorted(TAGS),
}


def load(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WEB / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def modules() -> list[Path]:
    return sorted(p for folder in JS_DIRS for p in (WEB / folder).glob("*.js"))


def keys_in_js(js: str, namespaces: set[str]) -> set[str]:
    found = {a or b for a, b in JS_CALL.findall(js)}
    found.update(k for k in JS_PROPERTY.findall(js) if k.split(".")[0] in namespaces)
    return found


def used_keys() -> set[str]:
    namespaces = {k.split(".")[0] for k in load("sv")}
    keys: set[str] = set()
    for name in PAGES:
        html = (WEB / name).read_text("utf-8")
        keys.update(ATTR_KEYS.findall(html))
        for pairs in ATTR_PAIRS.findall(html):
            keys.update(p.split(":", 1)[1].strip() for p in pairs.split(";") if ":" in p)
    for js in modules():
        keys.update(keys_in_js(js.read_text("utf-8"), namespaces))
    return keys


def dynamic_prefixes() -> set[str]:
    found: set[str] = set()
    for js in modules():
        found.update(JS_DYNAMIC.findall(js.read_text("utf-8")))
    return found


class _Texts(HTMLParser):
    """The text of every element with data-i18n or data-i18n-both, as written in the page."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str, str, list[str]]] = []  # (tag, attr, key, text parts)
        self.found: list[tuple[str, str, str, str]] = []  # (tag, attr, key, text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for attr in ("data-i18n", "data-i18n-both"):
            key = names.get(attr)
            if key:
                self.open.append((tag, attr, key, []))

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            _, attr, key, parts = self.open.pop()
            self.found.append((tag, attr, key, " ".join("".join(parts).split())))

    def handle_data(self, data: str) -> None:
        for entry in self.open:
            entry[3].append(data)


def page_texts(name: str) -> list[tuple[str, str, str, str]]:
    parser = _Texts()
    parser.feed((WEB / name).read_text("utf-8"))
    return parser.found


def bilingual(sv: str, en: str, tag: str) -> str:
    """What common/i18n.js applyBilingual() shows for a key (as plain text)."""
    if en == sv or tag == "title":
        return sv
    return f"{sv} {en}" if sv[-1] in ".!?" else f"{sv} ({en})"


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
    """Every data-i18n key in the pages and every key the modules use exists."""
    sv, en = load("sv"), load("en")
    keys = used_keys()
    assert len(keys) > 300
    assert sorted(k for k in keys if k not in sv) == []
    assert sorted(k for k in keys if k not in en) == []


def test_every_page_uses_the_shared_texts() -> None:
    """Each page marks its texts for common/i18n.js (no page is left out)."""
    counts = {name: len(ATTR_KEYS.findall((WEB / name).read_text("utf-8"))) for name in PAGES}
    assert [name for name, n in counts.items() if n < 3] == []


def test_dynamic_keys_cover_their_enums() -> None:
    """Keys built at run time (level.*, outcome.*, stats.*, ...) exist for every value."""
    sv, en = load("sv"), load("en")
    prefixes = dynamic_prefixes() - {"error."}  # error.<code> falls back to error.generic
    assert sorted(prefixes - set(ENUMS)) == []
    assert {"level.", "stats.", "manager.ts_", "admin.day_"} <= prefixes
    missing = [
        f"{p}{v}" for p in prefixes for v in ENUMS[p] if f"{p}{v}" not in sv or f"{p}{v}" not in en
    ]
    assert missing == []


def test_page_text_matches_the_swedish_text() -> None:
    """What a page shows before its script runs is the text the script puts there."""
    sv, en = load("sv"), load("en")
    wrong = []
    for name in PAGES:
        for tag, attr, key, text in page_texts(name):
            if attr == "data-i18n":
                want = sv.get(key)
            else:
                want = bilingual(sv.get(key, key), en.get(key, key), tag)
            if text != want:
                wrong.append((name, key, text, want))
    assert wrong == []


def test_no_page_keeps_texts_of_its_own() -> None:
    """No TEXTS tables or data-t attributes are left; only i18n.js loads the dictionaries."""
    own = re.compile(r"\bTEXTS\b|/static/i18n/")
    leftovers = [p.name for p in modules() if own.search(p.read_text("utf-8"))]
    assert leftovers == ["i18n.js"]
    assert [n for n in PAGES if "data-t=" in (WEB / n).read_text("utf-8")] == []
    assert sorted(p.name for p in WEB.rglob("texts.js")) == []


def test_key_checker_catches_a_missing_key() -> None:
    """The checker's patterns find keys in attribute, attribute-pair, call and table form."""
    html = '<p data-i18n="a.b"></p><b data-i18n-attr="aria-label:c.d;title:e.f"></b>'
    html += '<i data-i18n-both="g.h"></i>'
    js = "t('g.h'); t(`level.${x}`); both('i.j'); textIn('en', 'k.l'); x = { key: 'chat.staff' };"
    js += " has(`stats.${n}`); h('p', { 'data-i18n': 'm.n' }); download: 'contacts.csv'"
    assert ATTR_KEYS.findall(html) == ["a.b", "g.h"]
    assert ATTR_PAIRS.findall(html) == ["aria-label:c.d;title:e.f"]
    assert keys_in_js(js, {"chat", "m"}) == {"g.h", "i.j", "k.l", "chat.staff", "m.n"}
    assert JS_DYNAMIC.findall(js) == ["level.", "stats."]
