"""The photo API tests that look only at HTTP and the sockets, run again with
the app on PostgreSQL (BYTEA, the row-locked append, the read path)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatserver.settings import Settings
from tests.attachments import test_api
from tests.pg import PgServer, migrated_template

pytestmark = pytest.mark.postgres


@pytest.fixture
def small_settings(tmp_path: Path, pg_server: PgServer) -> Iterator[Settings]:
    """A fresh, migrated PostgreSQL database of the test's own, 256 KiB photos."""
    name = pg_server.create_database(template=migrated_template(pg_server))
    try:
        yield Settings(
            data_dir=tmp_path / "data",
            database_url=pg_server.url(name),
            attachment_max_bytes=test_api.LIMIT,
        )
    finally:
        pg_server.drop_database(name)


api = test_api.api
seed = test_api.seed
test_patient_photo_reaches_patient_and_nurse = test_api.test_patient_photo_reaches_patient_and_nurse
test_read_back_with_headers_and_thumb = test_api.test_read_back_with_headers_and_thumb
test_closed_contact_refused = test_api.test_closed_contact_refused
test_other_patients_token_and_bad_tokens = test_api.test_other_patients_token_and_bad_tokens
test_polyglot_stored_without_the_zip = test_api.test_polyglot_stored_without_the_zip
test_patient_may_send_while_queued = test_api.test_patient_may_send_while_queued
test_client_id_of_a_text_message_refused = test_api.test_client_id_of_a_text_message_refused
