"""``chatserver serve --demo`` on port 0: the printed links carry the port the
server got, the printed accounts sign in, the manager sees 90 days of history;
a restart keeps the accounts and the history and says how to get a password
back (``user reset-password``), which then signs in."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx
import pyotp

from chatserver.settings import Settings

CHATSERVER = (sys.executable, "-m", "chatserver")
LOOPBACK_0 = ("--host", "127.0.0.1", "--port", "0")
_ACCOUNT = re.compile(r"^\s+(\w+)\s+user (\w+)\s+password (\S+)\s+totp secret (\w+)")
_EXISTS = re.compile(r"^\s+(\w+)\s+user (\w+)\s+exists already$")
_HISTORY = re.compile(r"^  statistics: (\d+) chats of the last 90 days added \(([\d.]+) s\)$")


def _read_demo(proc: subprocess.Popen[str]) -> list[str]:
    """Lines up to and including the four demo accounts (blocking reads: the
    server prints them at once; a dead server ends the stream)."""
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not (_HISTORY.match(lines[-1]) or "reset-password" in lines[-1]):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
    return lines


def _sign_in(base: str, username: str, password: str, secret: str) -> httpx.Client:
    client = httpx.Client(base_url=base, headers={"origin": base})
    r = client.post(
        "/api/staff/login",
        json={"username": username, "password": password, "otp": pyotp.TOTP(secret).now()},
    )
    assert (r.status_code, r.json()["user"]["username"]) == (200, username), r.text
    return client


def _start(data: Path) -> tuple[subprocess.Popen[str], list[str], str]:
    proc = subprocess.Popen(
        [*CHATSERVER, "--data-dir", str(data), "serve", "--demo", *LOOPBACK_0],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines = _read_demo(proc)
    listening = re.fullmatch(r"Listening on http://127\.0\.0\.1:(\d+)", lines[0])
    assert listening is not None, lines
    return proc, lines, f"http://127.0.0.1:{listening.group(1)}"


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()


def _contacts(data: Path) -> int:
    db = sqlite3.connect(Settings(data_dir=data).sqlite_path)
    try:
        return int(db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0])
    finally:
        db.close()


def test_demo_history_once_and_passwords_back(tmp_path: Path) -> None:
    """First start: ~90 days of history in well under a few seconds, and the
    manager's channel shift has chats, visits and a share. Second start: no
    second history, the accounts exist, the hint names the data directory;
    ``user reset-password`` gives a password and TOTP secret that sign in."""
    data = tmp_path / "data"
    proc, lines, base = _start(data)
    try:
        history = _HISTORY.match(lines[-1])
        assert history is not None, lines
        chats, seconds = int(history[1]), float(history[2])
        assert 2000 <= chats <= 4000
        assert seconds < 5.0
        accounts = {m[2]: m for m in map(_ACCOUNT.match, lines) if m}
        chef = accounts["chef"]
        manager = _sign_in(base, "chef", chef[3], chef[4])
        today = date.today()
        period = {
            "unit": "demo",
            "from": (today - timedelta(days=84)).isoformat(),
            "to": (today - timedelta(days=1)).isoformat(),
            "bucket": "month",
        }
        r = manager.get("/api/stats/channel-shift", params=period)
        assert r.status_code == 200, r.text
        buckets = r.json()["buckets"]
        assert sum(b["chat_contacts"] for b in buckets) > 2000
        assert sum(b["physical_visits"] for b in buckets) > 3000
        shares = [b["chat_share"] for b in buckets if b["chat_share"] is not None]
        assert shares
        assert all(0.05 < x < 0.5 for x in shares)
        r = manager.get("/api/stats/operations", params=period)
        assert r.status_code == 200, r.text
        satisfaction = r.json()["satisfaction"]
        assert satisfaction["responses"] > 500
        assert 3.5 < satisfaction["mean_rating"] < 4.6
        manager.close()
    finally:
        _stop(proc)
    assert _contacts(data) == chats

    proc, lines, base = _start(data)
    try:
        assert sorted(m[2] for m in map(_EXISTS.match, lines) if m) == [
            "admin",
            "chef",
            "lakare",
            "sjukskoterska",
        ]
        assert not any(_HISTORY.match(x) for x in lines)
        assert lines[-1].endswith(f"chatserver --data-dir {data} user reset-password USERNAME")
        assert _contacts(data) == chats
        reset = subprocess.run(
            [*CHATSERVER, "--data-dir", str(data), "user", "reset-password", "sjukskoterska"],
            capture_output=True,
            text=True,
            check=True,
        )
        password, uri, secret = reset.stdout.splitlines()
        assert re.fullmatch(r"password [\w-]{24}", password)
        assert pyotp.parse_uri(uri).secret == secret.removeprefix("totp secret ")
        assert "sjukskoterska" in uri
        _sign_in(base, "sjukskoterska", password.split()[1], pyotp.parse_uri(uri).secret).close()
    finally:
        _stop(proc)


def test_demo_prints_the_bound_port_and_working_accounts(tmp_path: Path) -> None:
    """Links name the real port (not 0); the nurse account signs in with its code."""
    proc = subprocess.Popen(
        [*CHATSERVER, "--data-dir", str(tmp_path / "data"), "serve", "--demo", *LOOPBACK_0],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = _read_demo(proc)
        listening = re.fullmatch(r"Listening on http://127\.0\.0\.1:(\d+)", lines[0])
        assert listening is not None, lines
        port = int(listening.group(1))
        base = f"http://127.0.0.1:{port}"
        assert port > 0
        assert lines[1] == (
            f"Demo: patient chat {base}/  staff {base}/staff  manager {base}/manager"
        )
        accounts = {m[2]: m for m in map(_ACCOUNT.match, lines) if m}
        assert sorted((m[1], u) for u, m in accounts.items()) == [
            ("admin", "admin"),
            ("doctor", "lakare"),
            ("manager", "chef"),
            ("nurse", "sjukskoterska"),
        ]
        nurse = accounts["sjukskoterska"]
        r = httpx.post(
            f"{base}/api/staff/login",
            json={
                "username": "sjukskoterska",
                "password": nurse[3],
                "otp": pyotp.TOTP(nurse[4]).now(),
            },
            headers={"origin": base},
        )
        assert (r.status_code, r.json()["user"]["username"]) == (200, "sjukskoterska")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
