"""The operations API tests (hours and the gate, banner, admin API, staff
credentials, sweeper)
run again with the app on PostgreSQL: the same test functions, collected here
with a ``settings`` fixture that points the app at a fresh PostgreSQL database.
(The retention and backup tests read the SQLite file directly and stay SQLite-only.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatserver.settings import Settings
from tests.pg import PgServer, migrated_template, pg_server

from . import (
    test_admin_api,
    test_banner,
    test_credentials,
    test_gate,
    test_public_holidays,
    test_sweeper,
    test_unit_identification_admin,
)

__all__ = ["pg_server"]  # the session fixture from tests/pg.py

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path: Path, pg_server: PgServer) -> Iterator[Settings]:
    """A fresh, migrated PostgreSQL database of the test's own."""
    name = pg_server.create_database(template=migrated_template(pg_server))
    try:
        yield Settings(data_dir=tmp_path / "data", database_url=pg_server.url(name))
    finally:
        pg_server.drop_database(name)


# Re-collect every test of those modules here, where ``settings`` is PostgreSQL.
for _module in (
    test_gate,
    test_banner,
    test_admin_api,
    test_credentials,
    test_sweeper,
    test_unit_identification_admin,
    test_public_holidays,
):
    for _name, _obj in vars(_module).items():
        if _name.startswith("test_") and callable(_obj):
            globals()[f"{_name}"] = _obj

# A module-level fixture of those tests (the others' are in conftest.py).
broker_client = test_unit_identification_admin.broker_client
