"""Every text a person reads comes from the one translation source
(webclient/i18n/sv.json + en.json): no page carries words outside an element
marked for common/i18n.js, no label-like attribute is left untranslated, and no
module writes Swedish or English sentences of its own."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.webclient.test_i18n import PAGES, WEB, modules

# Two letters or more: a word (numbers such as 112 and 1177, "+", "–" are not).
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé]{2,}")
LABEL_ATTRS = ("aria-label", "placeholder", "title", "alt")
VOID = {"meta", "link", "input", "br", "img", "hr", "source", "col", "wbr"}
# Key names on keyboard hints are shown as printed on the key.
KEY_CAPS = {"kbd"}
# A string with Swedish letters, or a sentence of three words or more.
PROSE = re.compile(r"[åäöÅÄÖ]|^[A-Z][a-z]+(?: [a-z]+){2,}")
QUOTED = re.compile(r"'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`")
# The journal note is Swedish whatever the page's language: it is pasted into
# the Swedish patient record ("Text att klistra in i journalen (på svenska)").
SWEDISH_BY_DESIGN = {"staff/journal.js"}


class _Untranslated(HTMLParser):
    """Text nodes outside any data-i18n / data-i18n-both element, and label
    attributes without a data-i18n-attr pair."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        marked = "data-i18n" in names or "data-i18n-both" in names
        paired = {p.split(":")[0].strip() for p in (names.get("data-i18n-attr") or "").split(";")}
        for attr in LABEL_ATTRS:
            value = names.get(attr)
            if value and WORD.search(value) and attr not in paired:
                self.found.append(f"<{tag} {attr}={value!r}>")
        if tag not in VOID:
            self.stack.append((tag, marked))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if not WORD.search(text):
            return
        tags = {t for t, _ in self.stack}
        if any(m for _, m in self.stack) or tags & {"script", "style", *KEY_CAPS}:
            return
        self.found.append(text)


def untranslated_html(html: str) -> list[str]:
    parser = _Untranslated()
    parser.feed(html)
    return parser.found


def prose_in_js(source: str) -> list[str]:
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
    code = re.sub(r"(^|[^:'\"`])//[^\n]*", r"\1", code)
    found = []
    for m in QUOTED.finditer(code):
        value = m.group(1) if m.group(1) is not None else m.group(2)
        if value and PROSE.search(value):
            found.append(value)
    return found


def test_pages_have_no_text_of_their_own() -> None:
    """Every word on every page is marked for the translation system."""
    found = {name: untranslated_html((WEB / name).read_text("utf-8")) for name in PAGES}
    assert {name: texts for name, texts in found.items() if texts} == {}


def test_modules_write_no_sentences_of_their_own() -> None:
    """No module puts a Swedish or English sentence on the page itself."""
    found = {}
    for path in modules():
        name = str(path.relative_to(WEB))
        if name not in SWEDISH_BY_DESIGN:
            texts = prose_in_js(path.read_text("utf-8"))
            if texts:
                found[name] = texts
    assert found == {}


def test_the_scan_finds_hard_coded_text() -> None:
    """The scanners catch a bare text node, an untranslated label and a sentence in
    a module, and leave marked texts, key caps, numbers, comments and keys alone."""
    html = (
        '<p data-i18n="a.b">Hej</p><p>Ring oss</p><p>112</p><kbd>Esc</kbd>'
        '<button aria-label="Stäng">x</button><input placeholder="Sök"'
        ' data-i18n-attr="placeholder:c.d"><script>var x = "Hej";</script>'
    )
    assert untranslated_html(html) == ["Ring oss", "<button aria-label='Stäng'>"]
    js = (
        "// Skriv något här\n/* Välj en */ t('chat.send'); h('p', {}, 'Välj en hälsocentral');"
        " x = 'The chat has ended'; y = `Hej ${name}`; z = 'msg--mine';"
    )
    assert prose_in_js(js) == ["Välj en hälsocentral", "The chat has ended"]
