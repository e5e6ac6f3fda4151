"""``chatserver unit add --identification`` and ``unit set-identification``:
validated, refused without a patient issuer, audited."""

from __future__ import annotations

import sqlite3

import pytest

from chatserver.cli.commands import main
from chatserver.settings import Settings


def _units(settings: Settings) -> list[tuple[str, str | None]]:
    db = sqlite3.connect(settings.sqlite_path)
    rows = list(db.execute("SELECT id, identification FROM units ORDER BY id"))
    db.close()
    return rows


def _audited(settings: Settings) -> list[tuple[str, str]]:
    db = sqlite3.connect(settings.sqlite_path)
    rows = list(db.execute("SELECT action, detail FROM audit_events ORDER BY seq"))
    db.close()
    return rows


@pytest.fixture
def patient_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads the same CHATSERVER_* environment as ``serve``."""
    monkeypatch.setenv("CHATSERVER_PATIENT_OIDC_ISSUER", "https://broker.example.se")


def test_add_and_set_identification(
    settings: Settings, patient_issuer: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(settings.data_dir)]
    assert main([*data, "unit", "add", "hc8", "--name", "HC Åtta"]) == 0
    assert (
        main([*data, "unit", "add", "hc9", "--name", "HC Nio", "--identification", "required"]) == 0
    )
    assert _units(settings) == [("hc8", None), ("hc9", "required")]
    assert main([*data, "unit", "set-identification", "hc8", "required"]) == 0
    assert main([*data, "unit", "set-identification", "hc9", "optional"]) == 0
    assert _units(settings) == [("hc8", "required"), ("hc9", "optional")]
    assert main([*data, "unit", "set-identification", "hc8", "default"]) == 0
    assert _units(settings) == [("hc8", None), ("hc9", "optional")]
    assert main([*data, "unit", "set-identification", "nowhere", "optional"]) == 1
    assert "no unit 'nowhere'" in capsys.readouterr().err
    actions = [(a, '"identification"' in d) for a, d in _audited(settings)]
    assert actions == [
        ("admin_unit_create", True),
        ("admin_unit_create", True),
        ("admin_unit_update", True),
        ("admin_unit_update", True),
        ("admin_unit_update", True),
    ]


def test_bad_values_are_refused(
    settings: Settings, patient_issuer: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(settings.data_dir)]
    with pytest.raises(SystemExit) as bad:
        main([*data, "unit", "add", "hc9", "--name", "HC Nio", "--identification", "maybe"])
    assert bad.value.code == 2
    assert main([*data, "unit", "add", "hc9", "--name", "HC Nio"]) == 0
    for value in ("maybe", "REQUIRED", ""):
        with pytest.raises(SystemExit) as bad:
            main([*data, "unit", "set-identification", "hc9", value])
        assert bad.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert _units(settings) == [("hc9", None)]


def test_required_needs_a_patient_issuer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without CHATSERVER_PATIENT_OIDC_ISSUER no patient could reach a required
    unit: refused, nothing stored; optional and default are fine."""
    monkeypatch.delenv("CHATSERVER_PATIENT_OIDC_ISSUER", raising=False)
    data = ["--data-dir", str(settings.data_dir)]
    assert (
        main([*data, "unit", "add", "hc9", "--name", "HC Nio", "--identification", "required"]) == 2
    )
    assert "CHATSERVER_PATIENT_OIDC_ISSUER" in capsys.readouterr().err
    assert (
        main([*data, "unit", "add", "hc9", "--name", "HC Nio", "--identification", "optional"]) == 0
    )
    assert main([*data, "unit", "set-identification", "hc9", "required"]) == 2
    assert main([*data, "unit", "set-identification", "hc9", "default"]) == 0
    assert _units(settings) == [("hc9", None)]


def test_help_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["unit", "set-identification", "--help"])
    out = capsys.readouterr().out
    assert "{optional,required,default}" in out
    assert "CHATSERVER_PATIENT_IDENTIFICATION" in out
