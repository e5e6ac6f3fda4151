"""A real ``chatserver serve`` process on port 0 with real WebSocket clients."""

from __future__ import annotations

import asyncio
import time

from tests.helpers import Seed
from tests.live import TIMEOUT_SCALE, LiveServer
from tests.realserver.client import (
    Sender,
    http_intake,
    login_cookie,
    open_patient,
    open_staff,
    recv_json,
    recv_until,
    send_json,
)


async def welcomed_patient(live: LiveServer, token: str, last_seq: int = 0):  # type: ignore[no-untyped-def]
    ws = await open_patient(live)
    await send_json(ws, {"type": "hello", "token": token, "last_seq": last_seq})
    welcome = await recv_until(ws, "welcome")
    return ws, welcome


async def test_whole_conversation_over_real_sockets(live: LiveServer, seed: Seed) -> None:
    """Intake, hello, pick, both ways, close — over uvicorn with the websockets client."""
    contact = http_intake(live)
    cookie = login_cookie(live, seed["nurse1"])
    patient, welcome = await welcomed_patient(live, contact["patient_token"])
    assert welcome["status"] == "queued"
    staff = await open_staff(live, cookie)
    assert (await recv_json(staff))["type"] == "welcome"
    await send_json(staff, {"type": "pick"})
    assigned = await recv_until(staff, "assigned")
    cid = assigned["contact"]["contact_id"]
    assert cid == contact["contact_id"]
    assert (await recv_until(patient, "assigned"))["staff_name"] == "Nina Nurse"
    await send_json(patient, {"type": "message", "client_id": "p1", "body": "Hej"})
    assert (await recv_until(patient, "ack"))["seq"] == 1
    assert (await recv_until(staff, "message"))["body"] == "Hej"
    await send_json(
        staff, {"type": "message", "contact_id": cid, "client_id": "s1", "body": "Hej!"}
    )
    assert (await recv_until(staff, "ack"))["seq"] == 2
    got = await recv_until(patient, "message")
    assert (got["seq"], got["sender"], got["body"]) == (2, "staff", "Hej!")
    await send_json(staff, {"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
    assert (await recv_until(patient, "closed"))["outcome"] == "resolved_in_chat"
    await patient.close()
    await staff.close()


async def test_two_nurses_pick_concurrently_never_the_same(live: LiveServer, seed: Seed) -> None:
    """100 waiting contacts, two nurses picking as fast as they can: each taken exactly once."""
    ids = {http_intake(live, name=f"P{i}")["contact_id"] for i in range(100)}
    socks = [
        await open_staff(live, login_cookie(live, seed[name])) for name in ("nurse1", "nurse2")
    ]
    for s in socks:
        await recv_until(s, "welcome")

    async def picker(ws) -> list[str]:  # type: ignore[no-untyped-def]
        got: list[str] = []
        while True:
            await send_json(ws, {"type": "pick"})
            while True:
                frame = await recv_json(ws)
                if frame["type"] == "assigned":
                    got.append(frame["contact"]["contact_id"])
                    break
                if frame["type"] == "error":
                    assert frame["code"] == "queue_empty"
                    return got

    a, b = await asyncio.gather(picker(socks[0]), picker(socks[1]))
    assert len(a) + len(b) == 100
    assert set(a).isdisjoint(b)
    assert set(a) | set(b) == ids
    assert len(a) > 0
    assert len(b) > 0
    for s in socks:
        await s.close()


async def test_reconnect_in_the_middle_of_a_burst(live: LiveServer) -> None:
    """A burst cut off mid-way: after reconnecting and resending, every message exists once."""
    contact = http_intake(live)
    token = contact["patient_token"]
    ws, _ = await welcomed_patient(live, token)
    for i in range(50):
        await send_json(ws, {"type": "message", "client_id": f"b{i:02d}", "body": f"burst {i}"})
    acked: dict[str, int] = {}
    while len(acked) < 20:
        frame = await recv_json(ws)
        if frame["type"] == "ack":
            acked[frame["client_id"]] = frame["seq"]
    ws.transport.abort()  # the network drops: no closing handshake
    ws2, welcome = await welcomed_patient(live, token, last_seq=max(acked.values()))
    assert [m["seq"] for m in welcome["messages"]] == list(
        range(max(acked.values()) + 1, welcome["last_seq"] + 1)
    )
    for i in range(50):
        cid = f"b{i:02d}"
        if cid not in acked:
            await send_json(ws2, {"type": "message", "client_id": cid, "body": f"burst {i}"})
    while len(acked) < 50:
        frame = await recv_json(ws2)
        if frame["type"] == "ack":
            acked[frame["client_id"]] = frame["seq"]
    await send_json(ws2, {"type": "sync", "after_seq": 0})
    history = await recv_until(ws2, "history")
    assert [m["seq"] for m in history["messages"]] == list(range(1, 51))
    assert [m["client_id"] for m in history["messages"]] == [f"b{i:02d}" for i in range(50)]
    assert {m["client_id"]: m["seq"] for m in history["messages"]} == acked
    await ws2.close()


async def test_resend_over_a_new_connection(live: LiveServer) -> None:
    """The same client_id re-sent on a new connection gets the original ack, nothing new."""
    contact = http_intake(live)
    ws, _ = await welcomed_patient(live, contact["patient_token"])
    await send_json(ws, {"type": "message", "client_id": "once", "body": "en gång"})
    first = await recv_until(ws, "ack")
    await ws.close()
    ws2, _ = await welcomed_patient(live, contact["patient_token"], last_seq=1)
    await send_json(ws2, {"type": "message", "client_id": "once", "body": "en gång"})
    again = await recv_until(ws2, "ack")
    assert (again["seq"], again["client_id"], again.get("duplicate")) == (
        first["seq"],
        "once",
        True,
    )
    await send_json(ws2, {"type": "sync", "after_seq": 0})
    assert len((await recv_until(ws2, "history"))["messages"]) == 1
    await ws2.close()


def test_crash_test_sigkill_during_conversation(live: LiveServer, seed: Seed) -> None:
    """SIGKILL at random moments (≥20 times) during a 240-message conversation:
    every acknowledged message is stored exactly once and replayed in order."""
    contact = http_intake(live)
    token = contact["patient_token"]
    cookie = login_cookie(live, seed["nurse1"])
    # A SIGKILLed server never saves coverage data, and coverage doubles a start:
    # the 24 restarts run unmeasured (see [tool.coverage.run] patch).
    for name in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"):
        live.env.pop(name, None)

    async def scenario() -> tuple[Sender, Sender, int]:
        staff = await open_staff(live, cookie)
        await recv_until(staff, "welcome")
        await send_json(staff, {"type": "pick"})
        cid = (await recv_until(staff, "assigned"))["contact"]["contact_id"]
        await staff.close()

        async def patient_socket():  # type: ignore[no-untyped-def]
            ws, _ = await welcomed_patient(live, token)
            return ws

        async def staff_socket():  # type: ignore[no-untyped-def]
            ws = await open_staff(live, cookie)
            await recv_until(ws, "welcome")
            return ws

        # Paced so that the conversation spans 20+ crash-restart cycles.
        patient = Sender("patient", 120, patient_socket, pace_s=0.05)
        nurse = Sender("nurse", 120, staff_socket, contact_id=cid, pace_s=0.05)
        deadline = time.monotonic() + 240 * TIMEOUT_SCALE
        kills = 0
        rng = __import__("random").Random(20261124)

        async def killer() -> None:
            nonlocal kills
            # 24 crashes (CI asks for at least 20), then let the conversation finish.
            while kills < 24 and len(patient.acked) + len(nurse.acked) < 240:
                await asyncio.sleep(rng.uniform(0.02, 0.4))  # crash at random moments
                if len(patient.acked) + len(nurse.acked) >= 240:
                    return
                await asyncio.to_thread(live.kill)
                kills += 1
                await asyncio.to_thread(live.start, live.port)

        kill_task = asyncio.create_task(killer())
        await asyncio.gather(patient.run(deadline), nurse.run(deadline))
        await kill_task
        return patient, nurse, kills

    patient, nurse, kills = asyncio.run(scenario())
    assert kills >= 20, f"only {kills} kills happened during the conversation"
    assert patient.reconnects + nurse.reconnects >= 20

    async def history() -> list[dict[str, object]]:
        ws, welcome = await welcomed_patient(live, token)
        await ws.close()
        return list(welcome["messages"])

    messages = asyncio.run(history())
    seqs = [m["seq"] for m in messages]
    assert seqs == list(range(1, 241)), "gapless, no duplicates"
    by_client = {str(m["client_id"]): m["seq"] for m in messages}
    assert len(by_client) == 240
    assert by_client == {**patient.acked, **nurse.acked}, "every ack matches the stored seq"
    for sender in (patient, nurse):
        stored = [
            str(m["client_id"]) for m in messages if str(m["client_id"]).startswith(sender.name)
        ]
        assert stored == sender.order, f"{sender.name}'s messages replay in the order sent"
