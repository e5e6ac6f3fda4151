"""The command line for a unit's hours and for lost passwords: ``unit add``
prints the hours and the commands that change them; ``unit set-hours``,
``set-holidays`` and ``set-always-open`` store and audit; ``user
reset-password`` prints a new password and TOTP secret and ends sessions;
every option of every subcommand has help text."""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import time
from pathlib import Path

import pyotp
import pytest

from chatserver.access.passwords import verify_password
from chatserver.cli.commands import build_parser, main
from chatserver.settings import Settings


def _rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(settings.sqlite_path)
    try:
        return list(db.execute(sql))
    finally:
        db.close()


def _actions(settings: Settings) -> list[str]:
    return [str(r[0]) for r in _rows(settings, "SELECT action FROM audit_events ORDER BY seq")]


def test_unit_add_prints_hours_and_how_to_change_them(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(settings.data_dir)
    assert main(["--data-dir", data, "unit", "add", "vc-norr", "--name", "VC Norr"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "unit vc-norr created with queue vc-norr:nurse"
    assert out[1] == (
        "opening hours (Europe/Stockholm): mon–fri 08:00–17:00; sat–sun closed;"
        " closed on Swedish public holidays, midsommarafton, julafton and nyårsafton"
    )
    assert "chatserver unit set-hours vc-norr HOURS.json" in out[3]
    assert "chatserver unit set-holidays vc-norr on|off" in out[4]
    assert out[5].endswith("chatserver unit set-always-open vc-norr on")
    assert main(["--data-dir", data, "unit", "add", "open", "--name", "O", "--always-open"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        "opening hours: always open (--always-open)",
        "  set opening hours instead: chatserver unit set-always-open open off",
    ]


def test_unit_hours_flags_from_the_command_line(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = str(settings.data_dir)
    base = ["--data-dir", data, "unit"]
    assert main([*base, "add", "hc9", "--name", "HC Nio"]) == 0
    assert main([*base, "set-holidays", "hc9", "off"]) == 0
    assert main([*base, "set-holidays", "nope", "off"]) == 1
    assert main([*base, "set-always-open", "hc9", "on"]) == 0
    assert main([*base, "set-always-open", "nope", "on"]) == 1
    assert _rows(settings, "SELECT public_holidays, always_open FROM units WHERE id = 'hc9'") == [
        (0, 1)
    ]
    hours = tmp_path / "hours.json"
    hours.write_text(json.dumps({"weekly": {"sat": [["10:00", "14:00"]]}}))
    assert main([*base, "set-hours", "hc9", str(hours)]) == 0
    assert "unit hc9: mon–fri closed; sat 10:00–14:00; sun closed" in capsys.readouterr().err
    stored = _rows(settings, "SELECT hours FROM unit_hours WHERE unit_id = 'hc9'")
    assert json.loads(str(stored[0][0]))["weekly"]["sat"] == [["10:00", "14:00"]]
    monkeypatch.setattr("sys.stdin", io.StringIO('{"weekly": {"mon": [["17:00", "08:00"]]}}'))
    assert main([*base, "set-hours", "hc9", "-"]) == 2
    assert "closing time must be after opening time (weekly.mon.0" in capsys.readouterr().err
    hours.write_text("{not json")
    assert main([*base, "set-hours", "hc9", str(hours)]) == 2
    assert "error: not JSON" in capsys.readouterr().err
    assert main([*base, "set-hours", "hc9", str(tmp_path / "missing.json")]) == 2
    assert main([*base, "set-hours", "nope", "default"]) == 1
    assert main([*base, "set-hours", "hc9", "default"]) == 0
    assert _rows(settings, "SELECT hours FROM unit_hours") == []
    assert _actions(settings) == [
        "admin_unit_create",
        "admin_unit_update",
        "admin_unit_update",
        "admin_hours_set",
        "admin_hours_default",
    ]


def test_reset_password_prints_a_new_password_and_totp(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(settings.data_dir)
    assert main(["--data-dir", data, "unit", "add", "hc9", "--name", "HC Nio"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-4711\n"))
    argv = ["--data-dir", data, "user", "add", "Anna", "--role", "nurse", "--unit", "hc9"]
    assert main([*argv, "--password-stdin"]) == 0
    first_uri = capsys.readouterr().out.strip()
    db = sqlite3.connect(settings.sqlite_path)
    db.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at)"
        " SELECT 'h1', id, 'c', ?, ? FROM users WHERE username = 'Anna'",
        (time.time(), time.time()),
    )
    db.commit()
    db.close()
    assert main(["--data-dir", data, "user", "reset-password", "anna"]) == 0
    captured = capsys.readouterr()
    password, uri, secret = captured.out.splitlines()
    new = password.removeprefix("password ")
    assert len(new) == 24
    assert pyotp.parse_uri(uri).secret == secret.removeprefix("totp secret ")
    assert uri != first_uri
    assert "1 session(s) ended" in captured.err
    ((hash_,),) = _rows(settings, "SELECT password_hash FROM users WHERE username = 'Anna'")
    assert verify_password(str(hash_), new)
    assert not verify_password(str(hash_), "a-long-password-4711")
    assert _rows(settings, "SELECT * FROM sessions") == []
    assert main(["--data-dir", data, "user", "reset-password", "nobody"]) == 1
    assert _actions(settings)[-1] == "admin_user_reset_password"
    assert new not in str(_rows(settings, "SELECT detail FROM audit_events"))


def test_user_add_requires_password_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["user", "add", "anna", "--role", "nurse", "--unit", "hc9"])
    assert exited.value.code == 2
    assert "the following arguments are required: --password-stdin" in capsys.readouterr().err


def _walk(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.Action]]:
    out: list[tuple[str, argparse.Action]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.extend(_walk(sub, f"{path} {name}"))
        else:
            out.append((path, action))
    return out


def test_every_option_has_help_and_shows_its_default() -> None:
    """Walks every subcommand: an option or argument without help text fails;
    a defaulted option's help shows the default, a required one says so."""
    actions = _walk(build_parser(), "chatserver")
    assert len({path for path, _ in actions}) > 20
    missing = [
        f"{path} {a.option_strings or a.dest}"
        for path, a in actions
        if not a.help or a.help == argparse.SUPPRESS
    ]
    assert missing == []
    serve_help = _help("serve")
    assert "(default 8000 or $CHATSERVER_PORT)" in serve_help
    assert "(default: False)" in serve_help
    unit_help = _help("unit", "add")
    assert "(default: live)" in unit_help
    assert "--name NAME the unit's name as patients see it (required)" in unit_help
    assert "Mon-Fri 08:00-17:00 (Europe/Stockholm), closed on Swedish public holidays" in unit_help
    assert "--password-stdin read the password from stdin" in _help("user", "add")


def _help(*names: str) -> str:
    """A subcommand's help text with its line breaks undone."""
    parser = build_parser()
    for name in names:
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = sub.choices[name]
    return " ".join(parser.format_help().split())
