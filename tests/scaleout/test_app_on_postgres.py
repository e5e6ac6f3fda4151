"""The in-memory conversation tests (tests/app/test_conversation.py: whole
conversations, resend, resume, tabs, emergency path, transfer, queue pushes)
run again with the app on PostgreSQL: the same test functions, collected here
with a ``settings`` fixture that points the app at a fresh PostgreSQL
database. (The bad-input table exercises frame parsing, not storage, and is
left to the SQLite run to keep the suite's time down.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserver.settings import Settings
from tests.app import test_conversation

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path: Path, pg_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=pg_url)


# Re-collect every test of that module here, where ``settings`` is the
# PostgreSQL one (its helper functions stay where they are).
for _name, _obj in vars(test_conversation).items():
    if _name.startswith("test_") and callable(_obj):
        globals()[_name] = _obj
