"""Browser tests skip without Chromium locally but FAIL in CI (CI=true)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import conftest as browser_conftest


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CI=true and no chromium: pytest.fail, not a skip."""
    monkeypatch.setattr(browser_conftest, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no-chromium is missing"):
        browser_conftest.require_chromium()


def test_missing_chromium_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without CI=true a missing chromium is a skip."""
    monkeypatch.setattr(browser_conftest, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        browser_conftest.require_chromium()
