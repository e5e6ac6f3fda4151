"""The client's shared modules stay shared: one HTTP helper, one banner module,
and page state that changes only in pure applyFrame() functions (unit-tested
with `node --test tests/js/`)."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "webclient"
JS = sorted(WEB.rglob("*.js"))
# The pure core of the pages: state and its changes, no browser or network.
PURE = ["common/message-log.js", "patient/state.js", "staff/state.js", "admin/identification.js"]
IMPURE = re.compile(
    r"\b(?:document|window|fetch|localStorage|sessionStorage|navigator|location|WebSocket"
    r"|setTimeout|setInterval|Date|Math\.random|crypto)\b"
)
IMPORT = re.compile(r"^import .* from '([^']+)';$", re.M)


def rel(p: Path) -> str:
    return p.relative_to(WEB).as_posix()


def test_only_the_http_module_fetches() -> None:
    """Every request goes through common/http.js (CSRF, Bearer, network errors in one place).
    The service worker (sw.js) is no page: a classic worker script cannot import
    modules, and it only reads the public texts (/static/i18n/*.json)."""
    assert [rel(p) for p in JS if re.search(r"\bfetch\(", p.read_text("utf-8"))] == [
        "common/http.js",
        "sw.js",
    ]
    assert [rel(p) for p in JS if "x-csrf-token" in p.read_text("utf-8")] == ["common/http.js"]


def test_every_page_script_uses_the_http_module() -> None:
    """Each page's modules import common/http.js (directly or through i18n.js and signin.js)."""
    users = {rel(p).split("/")[0] for p in JS if "/http.js'" in p.read_text("utf-8")}
    assert {"common", "patient", "staff", "admin", "manager", "audit"} <= users


def test_banner_module_is_shared() -> None:
    """The notice lives in common/banner.js; the patient, staff and admin pages import it there."""
    assert not (WEB / "admin" / "banner.js").exists()
    importers = sorted(rel(p) for p in JS if "banner.js'" in p.read_text("utf-8"))
    assert importers == ["admin/app.js", "patient/app.js", "staff/app.js"]
    assert all("'../common/banner.js'" in (WEB / p).read_text("utf-8") for p in importers)


def test_apply_frame_is_pure() -> None:
    """State modules touch no DOM, network, clock or randomness, and import only each other."""
    for name in PURE:
        js = (WEB / name).read_text("utf-8")
        code = re.sub(r"//.*|/\*.*?\*/", "", js, flags=re.S)
        assert IMPURE.findall(code) == [], name
        assert all(i.endswith(("message-log.js", "state.js")) for i in IMPORT.findall(js)), name
    for page in ("patient", "staff"):
        js = (WEB / page / "state.js").read_text("utf-8")
        assert "export function applyFrame(state, frame, env = {})" in js


def test_node_tests_cover_each_apply_frame() -> None:
    """tests/js has a node --test file for each page's state and the shared message log."""
    tests = Path(__file__).resolve().parents[1] / "js"
    names = sorted(p.name for p in tests.glob("*.test.js"))
    assert {"patient-state.test.js", "staff-state.test.js", "message-log.test.js"} <= set(names)
