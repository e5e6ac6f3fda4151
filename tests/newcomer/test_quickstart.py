"""The README's Quickstart as a newcomer runs it: a fresh ``git clone`` of this
repository, ``bash scripts/demo.sh --port 0`` in it (which makes its own
virtualenv and installs the Python packages), the printed demo nurse signs in
with password and TOTP, and one short chat runs over HTTP and WebSocket:
patient intake, the nurse picks, a message each way, close.

The clone is of the committed repository (in CI a fresh clone of main);
``NEWCOMER_REPO`` names another repository to clone, e.g. a scratch commit of
a working tree. pip's cache and wheel sources are the machine's own, so the
install takes ~20-60 s rather than minutes.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyotp
from websockets.asyncio.client import ClientConnection, connect

from tests.helpers import intake_body
from tests.live import TIMEOUT_SCALE

ROOT = Path(__file__).resolve().parents[2]
# A first start installs every Python package into the clone's virtualenv.
START_TIMEOUT_S = 600.0 * TIMEOUT_SCALE
RECV_TIMEOUT_S = 30.0 * TIMEOUT_SCALE
_LISTENING = re.compile(r"^Listening on (http://127\.0\.0\.1:(\d+))$")
_NURSE = re.compile(r"^\s+nurse\s+user (\w+)\s+password (\S+)\s+totp secret (\w+)")


def _read_until_nurse(proc: subprocess.Popen[str]) -> tuple[str, tuple[str, str, str], float]:
    """The server's base URL, the nurse's (username, password, TOTP secret), and
    the seconds until "Listening"; fails with the output if it never comes."""
    assert proc.stdout is not None
    began = time.monotonic()
    deadline = began + START_TIMEOUT_S
    lines: list[str] = []
    base, listened = "", 0.0
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if not ready:
            continue
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if (m := _LISTENING.match(lines[-1])) is not None:
            base, listened = m[1], time.monotonic() - began
        elif (n := _NURSE.match(lines[-1])) is not None and base:
            return base, (n[1], n[2], n[3]), listened
    raise AssertionError("demo.sh printed no nurse account:\n" + "\n".join(lines[-40:]))


async def _recv_until(ws: ClientConnection, type_: str) -> dict[str, Any]:
    deadline = time.monotonic() + RECV_TIMEOUT_S
    while True:
        raw = await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
        frame: dict[str, Any] = orjson.loads(raw)
        if frame["type"] == type_:
            return frame


async def _send(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(frame).decode())


async def _one_chat(base: str, cookie: str) -> None:
    ws_base = base.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=base, headers={"origin": base}) as http:
        r = await http.post("/api/contacts", json=intake_body(unit_id="demo"))
        assert r.status_code == 201, r.text
        contact = r.json()
    async with (
        connect(f"{ws_base}/ws/patient", origin=base) as patient,  # type: ignore[arg-type]
        connect(
            f"{ws_base}/ws/staff",
            origin=base,  # type: ignore[arg-type]
            additional_headers={"Cookie": cookie},
        ) as staff,
    ):
        await _send(patient, {"type": "hello", "token": contact["patient_token"], "last_seq": 0})
        assert (await _recv_until(patient, "welcome"))["status"] == "queued"
        await _recv_until(staff, "welcome")
        await _send(staff, {"type": "pick"})
        assigned = await _recv_until(staff, "assigned")
        cid = assigned["contact"]["contact_id"]
        assert cid == contact["contact_id"]
        await _recv_until(patient, "assigned")
        await _send(
            patient, {"type": "message", "client_id": "p1", "body": "Jag har ont i halsen."}
        )
        assert (await _recv_until(staff, "message"))["body"] == "Jag har ont i halsen."
        body = "Hur länge har du haft ont?"
        await _send(staff, {"type": "message", "contact_id": cid, "client_id": "s1", "body": body})
        got = await _recv_until(patient, "message")
        assert (got["sender"], got["body"]) == ("staff", body)
        await _send(staff, {"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
        assert (await _recv_until(patient, "closed"))["outcome"] == "resolved_in_chat"


def test_readme_quickstart_in_a_fresh_clone(tmp_path: Path) -> None:
    repo = os.environ.get("NEWCOMER_REPO", str(ROOT))
    clone = tmp_path / "hälsocentralchatt"
    subprocess.run(["git", "clone", "--quiet", repo, str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATSERVER_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    env.pop("COVERAGE_PROCESS_START", None)
    proc = subprocess.Popen(
        ["bash", "scripts/demo.sh", "--port", "0"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # demo.sh execs the server: one group to stop
    )
    try:
        base, (username, password, secret), listened = _read_until_nurse(proc)
        print(f"demo.sh in a fresh clone: Listening after {listened:.1f} s")
        r = httpx.post(
            f"{base}/api/staff/login",
            json={"username": username, "password": password, "otp": pyotp.TOTP(secret).now()},
            headers={"origin": base},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        cookie = "; ".join(f"{k}={v}" for k, v in r.cookies.items())
        asyncio.run(_one_chat(base, cookie))
        assert (clone / ".venv" / ".pyproject.sha256").is_file()
        assert (clone / "data").is_dir()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
