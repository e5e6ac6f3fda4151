"""Picking a chat while the patient writes: no message is hidden from the nurse
(issue 21 point 1), over real sockets on a real server."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.helpers import Seed
from tests.live import TIMEOUT_SCALE, LiveServer
from tests.realserver.client import (
    http_intake,
    login_cookie,
    open_patient,
    open_staff,
    recv_json,
    recv_until,
    send_json,
)

ROUNDS = 30
WRITE_EVERY_S = 0.002  # the patient's pace (the worst case)
WRITE_BEFORE_PICK_S = 0.02  # the patient is already writing when the nurse picks
WRITE_AFTER_PICK_S = 0.03  # and goes on a little after the assigned frame


@dataclass
class Patient:
    ws: ClientConnection
    acked: dict[str, int] = field(default_factory=dict)
    sent: int = 0

    async def write(self, stop: asyncio.Event) -> None:
        """One message every 2 ms until ``stop`` (acks are read by :meth:`read`)."""
        while not stop.is_set():
            cid = f"m{self.sent:04d}"
            self.sent += 1
            await send_json(self.ws, {"type": "message", "client_id": cid, "body": cid})
            await asyncio.sleep(WRITE_EVERY_S)  # the pace itself is the point

    async def read(self) -> None:
        while True:
            frame = await recv_json(self.ws)
            if frame["type"] == "ack":
                self.acked[frame["client_id"]] = frame["seq"]
            elif frame["type"] == "error":
                raise AssertionError(f"patient got {frame}")


async def _nurse_frames(nurse: ClientConnection, into: list[dict[str, Any]]) -> None:
    while True:
        into.append(await recv_json(nurse, timeout=3600))


def _check_round(cid: str, frames: list[dict[str, Any]], acked: set[int]) -> str | None:
    """What went wrong in one round, or None."""
    mine = [f for f in frames if _contact_of(f) == cid]
    at = next((i for i, f in enumerate(mine) if f["type"] == "assigned"), None)
    if at is None:
        errors = [f.get("code") for f in frames if f["type"] == "error"]
        return f"no assigned frame (errors {errors})"
    problems = []
    if at > 0:
        problems.append(f"{at} frame(s) before assigned")
    # What a client that drops frames of chats it does not have yet sees:
    seen = [m["seq"] for m in mine[at]["messages"]]
    seen += [f["seq"] for f in mine[at + 1 :] if f["type"] == "message"]
    if len(seen) != len(set(seen)):
        problems.append("a message twice")
    missing = acked - set(seen)
    if missing:
        problems.append(f"hidden seqs {sorted(missing)[:5]}")
    return ", ".join(problems) or None


def _contact_of(frame: dict[str, Any]) -> str | None:
    if frame["type"] == "assigned":
        return str(frame["contact"]["contact_id"])
    cid = frame.get("contact_id")
    return str(cid) if cid is not None else None


async def pick_rounds(
    intake_srv: LiveServer,
    patient_srv: LiveServer,
    nurse_srvs: list[LiveServer],
    cookie: str,
    rounds: int = ROUNDS,
) -> dict[str, str]:
    """``rounds`` picks while the patient (on ``patient_srv``) writes every 2 ms.
    The nurse has a tab on each of ``nurse_srvs`` and picks on the first. What
    went wrong, by round and tab (empty: nothing)."""
    tabs: list[tuple[ClientConnection, list[dict[str, Any]]]] = []
    readers: list[asyncio.Task[None]] = []
    failures: dict[str, str] = {}
    try:
        for srv in nurse_srvs:
            ws = await open_staff(srv, cookie)
            await recv_until(ws, "welcome")
            frames: list[dict[str, Any]] = []
            tabs.append((ws, frames))
            readers.append(asyncio.create_task(_nurse_frames(ws, frames)))
        picker, picked_frames = tabs[0]
        for n in range(rounds):
            contact = http_intake(intake_srv, name=f"P{n}")
            cid = contact["contact_id"]
            ws = await open_patient(patient_srv)
            await send_json(ws, {"type": "hello", "token": contact["patient_token"], "last_seq": 0})
            await recv_until(ws, "welcome")
            patient = Patient(ws)
            stop = asyncio.Event()
            starts = [len(frames) for _, frames in tabs]
            writer = asyncio.create_task(patient.write(stop))
            acks = asyncio.create_task(patient.read())
            await asyncio.sleep(WRITE_BEFORE_PICK_S)  # let the patient write first
            await send_json(picker, {"type": "pick", "contact_id": cid})
            deadline = time.monotonic() + 30 * TIMEOUT_SCALE
            while not any(f["type"] in ("assigned", "error") for f in picked_frames[starts[0] :]):
                assert time.monotonic() < deadline, "no answer to pick"
                await asyncio.sleep(0.005)
            await asyncio.sleep(WRITE_AFTER_PICK_S)  # messages after the pick, too
            stop.set()
            await writer
            while len(patient.acked) < patient.sent and not acks.done():
                assert time.monotonic() < deadline, "messages not acked"
                await asyncio.sleep(0.005)
            if acks.done():
                acks.result()  # the patient got an error: raise it
            acks.cancel()
            acked = set(patient.acked.values())
            last = max(acked)
            await send_json(
                picker, {"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"}
            )
            # Every tab has all it will get once it has the closed frame and the
            # last message (live or in its transcript); a hidden one never comes.
            settle = time.monotonic() + 3 * TIMEOUT_SCALE
            for (_, frames), first in zip(tabs, starts, strict=True):
                mine = frames[first:]
                while not (_has_closed(mine, cid) and _has_seq(mine, cid, last)):
                    if time.monotonic() > settle:
                        break
                    await asyncio.sleep(0.005)
                    mine = frames[first:]
            for tab, ((_, frames), first) in enumerate(zip(tabs, starts, strict=True)):
                problem = _check_round(cid, frames[first:], acked)
                if problem is not None:
                    failures[f"round {n} tab {tab}"] = f"{problem} (last seq {last})"
            await ws.close()
    finally:
        for reader in readers:
            reader.cancel()
        for ws, _ in tabs:
            await ws.close()
    return failures


def _has_closed(frames: list[dict[str, Any]], cid: str) -> bool:
    return any(f["type"] == "closed" and f.get("contact_id") == cid for f in frames)


def _has_seq(frames: list[dict[str, Any]], cid: str, seq: int) -> bool:
    for f in frames:
        if f["type"] == "message" and f.get("contact_id") == cid and f["seq"] == seq:
            return True
        if (
            f["type"] == "assigned"
            and _contact_of(f) == cid
            and any(m["seq"] == seq for m in f["messages"])
        ):
            return True
    return False


async def test_pick_while_the_patient_writes_hides_nothing(live: LiveServer, seed: Seed) -> None:
    """30 picks while the patient writes every 2 ms: the nurse gets ``assigned``
    before any other frame of the contact, and ``assigned.messages`` plus the
    later ``message`` frames hold every acknowledged seq exactly once (in both
    of her tabs: the one that picks and the other one)."""
    cookie = login_cookie(live, seed["nurse1"])
    failures = await pick_rounds(live, live, [live, live], cookie)
    assert not failures, f"{len(failures)} of {2 * ROUNDS} tab-rounds hid a message: {failures}"
