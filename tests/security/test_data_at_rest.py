"""Data at rest (issue 20, point 1): the data directory is 0700 and the database,
WAL, SHM, keys and backups 0600, on a fresh start and after a start on a data
directory an older version left 0755/0644; staff TOTP secrets are sealed in
the database and the rotation command re-seals them with a new key."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.cli import commands, serve
from chatserver.security.files import DataDirError, secure_data_dir
from chatserver.security.totp_key import is_sealed
from chatserver.settings import Settings
from tests.helpers import ORIGIN, PASSWORD, Seed
from tests.live import LiveServer


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The tests run under the usual umask 022, as an operator's shell would."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(data_dir: Path) -> dict[str, int]:
    """The data directory's mode (as ".") and each entry's."""
    return {".": mode(data_dir), **{p.name: mode(p) for p in sorted(data_dir.iterdir())}}


def chatserver(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatserver", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def test_fresh_start_makes_everything_private(tmp_path: Path) -> None:
    """A first start under umask 022: the directory 0700; the database, WAL, SHM,
    audit key, TOTP key and checkpoint 0600; a backup 0600 in a new 0700 folder."""
    data = tmp_path / "data"
    with LiveServer(data):
        found = modes(data)
        assert {"chatserver.sqlite3", "chatserver.sqlite3-wal", "chatserver.sqlite3-shm"} <= set(
            found
        )
        assert {"audit.key", "totp.key"} <= set(found)
        done = chatserver("--data-dir", str(data), "unit", "add", "hc9", "--name", "HC Nio")
        assert done.returncode == 0, done.stderr
        found = modes(data)
        assert "audit.checkpoint" in found
        assert found == {".": 0o700, **{name: 0o600 for name in found if name != "."}}
        backup = tmp_path / "backups" / "nightly" / "chat.sqlite3"
        done = chatserver("--data-dir", str(data), "backup", str(backup))
        assert done.returncode == 0, done.stderr
        assert (mode(backup.parent), mode(backup)) == (0o700, 0o600)


def test_start_fixes_a_data_dir_left_wide_open_and_warns(tmp_path: Path) -> None:
    """A data directory from before (0755, files 0644, a 0755 subdirectory) is made
    private at start, with one warning per change naming the path and both modes."""
    data = tmp_path / "data"
    with LiveServer(data):
        pass
    (data / "old-exports").mkdir()
    for path in [data, *data.iterdir()]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    (data / "audit.key").chmod(0o400)  # narrower than 0600 already: left as it is
    server = LiveServer(data)
    with server:
        found = modes(data)
    assert found.pop("audit.key") == 0o400
    assert found.pop(".") == found.pop("old-exports") == 0o700
    assert set(found.values()) == {0o600}
    log = server.stderr_path.read_text()
    assert log.count("data_path_mode_fixed") >= 4
    assert "chatserver.sqlite3" in log
    assert "old_mode" in log
    assert "0644" in log


def test_serve_refuses_to_start_on_what_it_cannot_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry it cannot chmod (owned by another account): a clear message, exit 2."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "chatserver.sqlite3").write_bytes(b"")
    os.chmod(data / "chatserver.sqlite3", 0o644)

    def refuse(path: object, new_mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refuse)
    monkeypatch.setattr(serve.logs, "configure", lambda level: None)  # keep pytest's logging
    with pytest.raises(DataDirError, match="has mode 0755 and cannot be made 0700"):
        secure_data_dir(data)
    assert serve.serve(Settings(data_dir=data)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "cannot be made" in err
    assert "owned by the service's account" in err


def test_a_symlinked_data_dir_is_fixed_once(tmp_path: Path) -> None:
    """The data directory may be a link to a volume: its target is made 0700, and
    a second start finds nothing to change (no warning at every start). Links
    inside it are not followed."""
    volume = tmp_path / "volume"
    volume.mkdir(mode=0o755)
    (volume / "chatserver.sqlite3").write_bytes(b"")
    os.chmod(volume / "chatserver.sqlite3", 0o644)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    (volume / "link").symlink_to(outside)
    data = tmp_path / "data"
    data.symlink_to(volume)
    fixes = secure_data_dir(data)
    assert sorted((f.path.name, f.old_mode, f.new_mode) for f in fixes) == [
        ("chatserver.sqlite3", 0o644, 0o600),
        ("data", 0o755, 0o700),
    ]
    assert mode(volume) == 0o700
    assert mode(outside) == 0o644
    assert secure_data_dir(data) == []


def test_every_command_runs_under_umask_077(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    def fake_unit_add(args: object) -> int:
        seen.append(os.umask(0o077))
        return 0

    monkeypatch.setattr(commands, "cmd_unit_add", fake_unit_add)
    data = str(tmp_path / "data")
    assert commands.main(["--data-dir", data, "unit", "add", "x", "--name", "X"]) == 0
    assert seen == [0o077]
    assert os.umask(0o022) == 0o022  # put back for in-process callers


def user_secret(db: Path, username: str) -> str:
    with sqlite3.connect(db) as c:
        (secret,) = c.execute(
            "SELECT totp_secret FROM users WHERE username = ?", (username,)
        ).fetchone()
    return str(secret)


def sign_in(settings: Settings, username: str, secret: str) -> int:
    with TestClient(create_app(settings), headers={"origin": ORIGIN}) as client:
        r = client.post(
            "/api/staff/login",
            json={"username": username, "password": PASSWORD, "otp": pyotp.TOTP(secret).now()},
        )
        return r.status_code


def test_totp_secrets_are_sealed_and_clear_ones_migrated_at_start(
    settings: Settings, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test seed writes clear-text secrets, as versions before sealing did. The
    next start seals them (the migration), and the secret still signs in."""
    monkeypatch.delenv("CHATSERVER_TOTP_KEY", raising=False)
    nurse = seed["nurse1"]
    assert nurse.otp_secret is not None
    assert user_secret(settings.sqlite_path, "nurse1") == nurse.otp_secret
    assert sign_in(settings, "nurse1", nurse.otp_secret) == 200
    stored = user_secret(settings.sqlite_path, "nurse1")
    assert is_sealed(stored)
    assert nurse.otp_secret not in stored
    with sqlite3.connect(settings.sqlite_path) as c:
        rows = c.execute("SELECT totp_secret FROM users WHERE totp_secret IS NOT NULL").fetchall()
    assert rows
    assert all(is_sealed(r[0]) for r in rows)
    assert not any(nurse.otp_secret.encode() in data for data in raw(settings.sqlite_path))


def raw(db: Path) -> list[bytes]:
    return [Path(f"{db}{s}").read_bytes() for s in ("", "-wal") if Path(f"{db}{s}").exists()]


def test_user_add_seals_and_rotate_totp_re_seals_under_a_new_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHATSERVER_TOTP_KEY", raising=False)
    data = tmp_path / "data"
    base = ["--data-dir", str(data)]
    assert chatserver(*base, "unit", "add", "hc1", "--name", "HC Ett").returncode == 0
    done = chatserver(
        *base,
        "user",
        "add",
        "anna",
        "--role",
        "nurse",
        "--unit",
        "hc1",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    secret = pyotp.parse_uri(done.stdout.strip()).secret
    db = data / "chatserver.sqlite3"
    sealed = user_secret(db, "anna")
    assert is_sealed(sealed)
    assert secret not in sealed
    key_before = (data / "totp.key").read_text()

    done = chatserver(*base, "keys", "rotate-totp")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1 TOTP secrets re-sealed with a new key\n"
    key_after = (data / "totp.key").read_text()
    assert key_after != key_before
    assert len(key_after.split()) == 1
    assert mode(data / "totp.key") == 0o600
    assert user_secret(db, "anna") != sealed
    assert chatserver(*base, "audit", "verify").returncode == 0
    with sqlite3.connect(db) as c:
        actions = [r[0] for r in c.execute("SELECT action FROM audit_events ORDER BY seq")]
    assert actions[-1] == "totp_key_rotate"
    assert sign_in(Settings(data_dir=data), "anna", secret) == 200


def test_rotate_totp_with_the_key_in_a_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CHATSERVER_TOTP_KEY="new,old": the command re-seals everything with the new
    key, after which the old one can be removed from the setting."""
    from cryptography.fernet import Fernet  # noqa: PLC0415

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    data = tmp_path / "data"
    base = ["--data-dir", str(data)]
    monkeypatch.setenv("CHATSERVER_TOTP_KEY", old)
    assert chatserver(*base, "unit", "add", "hc1", "--name", "HC Ett").returncode == 0
    done = chatserver(
        *base,
        "user",
        "add",
        "anna",
        "--role",
        "nurse",
        "--unit",
        "hc1",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    secret = pyotp.parse_uri(done.stdout.strip()).secret
    assert not (data / "totp.key").exists()  # the setting wins: no key file
    monkeypatch.setenv("CHATSERVER_TOTP_KEY", f"{new},{old}")
    done = chatserver(*base, "keys", "rotate-totp")
    assert done.returncode == 0, done.stderr
    assert "remove the old keys" in done.stdout
    monkeypatch.setenv("CHATSERVER_TOTP_KEY", new)
    assert sign_in(Settings(data_dir=data), "anna", secret) == 200
    monkeypatch.setenv("CHATSERVER_TOTP_KEY", old)
    with pytest.raises(Exception, match="do not open with the configured key"):
        sign_in(Settings(data_dir=data), "anna", secret)
