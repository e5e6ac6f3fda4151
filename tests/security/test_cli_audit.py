"""Administration on the command line is audited, and `audit verify` counts it."""

from __future__ import annotations

import io
import sqlite3

import pytest

from chatserver.cli.commands import main
from chatserver.settings import Settings


def test_cli_changes_are_audited(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """unit add and user add each leave one event; user add prints the otpauth URI."""
    data = str(settings.data_dir)
    assert main(["--data-dir", data, "unit", "add", "hc9", "--name", "HC Nio"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert (
        main(
            [
                "--data-dir",
                data,
                "user",
                "add",
                "anna",
                "--role",
                "nurse",
                "--unit",
                "hc9",
                "--password-stdin",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "unit hc9 created with queue hc9:nurse"
    assert out[1].startswith("opening hours (Europe/Stockholm): ")  # and how to change them
    assert out[-1].startswith("otpauth://totp/Halsocentralchatt:anna?secret=")
    db = sqlite3.connect(settings.sqlite_path)
    rows = list(db.execute("SELECT seq, action, actor_user_id, unit_id, detail FROM audit_events"))
    db.close()
    assert rows == [
        (1, "admin_unit_create", None, "hc9", '{"identification":null,"via":"cli"}'),
        (
            2,
            "admin_user_create",
            None,
            None,
            '{"role":"nurse","units":["hc9"],"user_id":1,"username":"anna","via":"cli"}',
        ),
    ]
    assert main(["--data-dir", data, "audit", "verify"]) == 0
    assert capsys.readouterr().out == "audit log intact: 2 events\n"


def test_verify_fresh_data_dir(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """A data dir with no events (and no key yet) verifies as intact with 0 events."""
    assert main(["--data-dir", str(settings.data_dir), "audit", "verify"]) == 0
    assert capsys.readouterr().out == "audit log intact: 0 events\n"
