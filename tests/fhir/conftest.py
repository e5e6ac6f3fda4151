"""The storage fixtures of tests/storage (SQLite and a throw-away PostgreSQL)
for the FHIR store tests."""

from __future__ import annotations

from tests.storage.conftest import backend, pg_server, storage

__all__ = ["backend", "pg_server", "storage"]
