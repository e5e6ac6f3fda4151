"""``chatserver serve --demo`` on port 0: the printed links carry the port the
server got, and the printed accounts sign in."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pyotp

CHATSERVER = (sys.executable, "-m", "chatserver")
LOOPBACK_0 = ("--host", "127.0.0.1", "--port", "0")
_ACCOUNT = re.compile(r"^\s+(\w+)\s+user (\w+)\s+password (\S+)\s+totp secret (\w+)")


def _read_demo(proc: subprocess.Popen[str]) -> list[str]:
    """Lines up to and including the four demo accounts (blocking reads: the
    server prints them at once; a dead server ends the stream)."""
    assert proc.stdout is not None
    lines: list[str] = []
    while sum(bool(_ACCOUNT.match(x)) for x in lines) < 4:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
    return lines


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
