"""``chatserver user add --hsa-id`` and ``user set-hsa-id``: one account per HSA-id, audited."""

from __future__ import annotations

import io
import sqlite3

import pytest

from chatserver.cli.commands import main
from chatserver.settings import Settings

HSA_ID = "SE2321000016-1003"


def _hsa_ids(settings: Settings) -> list[tuple[str, str | None]]:
    db = sqlite3.connect(settings.sqlite_path)
    rows = list(db.execute("SELECT username, hsa_id FROM users ORDER BY username"))
    db.close()
    return rows


def _add(data: str, username: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    argv = ["--data-dir", data, "user", "add", username, "--role", "nurse", "--unit", "hc9"]
    return main([*argv, "--password-stdin", *extra])


def test_hsa_id_on_the_command_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """add --hsa-id sets it, a second account cannot take it, set-hsa-id moves and removes it."""
    data = str(settings.data_dir)
    assert main(["--data-dir", data, "unit", "add", "hc9", "--name", "HC Nio"]) == 0
    assert _add(data, "anna", monkeypatch, "--hsa-id", HSA_ID) == 0
    assert _add(data, "bert", monkeypatch, "--hsa-id", HSA_ID) == 1
    assert _add(data, "bert", monkeypatch) == 0
    assert _add(data, "cia", monkeypatch, "--hsa-id", "not an id") == 2
    assert _hsa_ids(settings) == [("anna", HSA_ID), ("bert", None)]
    base = ["--data-dir", data, "user", "set-hsa-id"]
    assert main([*base, "bert", HSA_ID]) == 1
    assert main([*base, "anna", "-"]) == 0
    assert main([*base, "bert", HSA_ID]) == 0
    assert main([*base, "nobody", "SE2321000016-1004"]) == 1
    assert _hsa_ids(settings) == [("anna", None), ("bert", HSA_ID)]
    db = sqlite3.connect(settings.sqlite_path)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_events ORDER BY seq")]
    db.close()
    assert actions == [
        "admin_unit_create",
        "admin_user_create",
        "admin_user_create",
        "admin_user_set_hsa_id",
        "admin_user_set_hsa_id",
    ]
    assert "another account has the HSA-id" in capsys.readouterr().err
