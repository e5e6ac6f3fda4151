"""Shared helpers for the triage tests: building small rule directories in tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from triage.rules import DEFAULT_RULES_DIR

MINI_RULES = """
[concepts.fever]
sv = ['feber']
en = ['fever']

[concepts.cough]
sv = ['hosta\\w*']
en = ['cough\\w*']

[concepts.rash]
sv = ['utslag']
en = ['rash']

[[rule]]
id = "T1-cough"
level = "standard"
tags = ["respiratory"]
title = "Cough"
source = ["https://www.1177.se/"]
all = [["cough"]]
examples_sv = ["hosta"]
examples_en = ["cough"]
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Callable[[str], Path]:
    """Factory: a rule directory with the real ruleset.toml plus one custom rule file."""

    def make(content: str = MINI_RULES, *, ruleset: str | None = None) -> Path:
        directory = tmp_path / "rules"
        directory.mkdir(exist_ok=True)
        if ruleset is None:
            shutil.copy(DEFAULT_RULES_DIR / "ruleset.toml", directory / "ruleset.toml")
        else:
            (directory / "ruleset.toml").write_text(ruleset, encoding="utf-8")
        (directory / "mini.toml").write_text(content, encoding="utf-8")
        return directory

    return make
