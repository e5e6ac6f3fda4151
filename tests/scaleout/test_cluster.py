"""Two instances on PostgreSQL + Redis behind nginx (deploy/ config): whole
conversations across instances, an instance SIGKILLed, Redis restarted,
concurrent picks on different instances."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest

from tests.live import LiveServer
from tests.poll import wait_until_async

from .clients import Participant, endpoint, intake, login_cookie
from .conftest import Cluster

pytestmark = pytest.mark.postgres


def assert_exactly_once(history: dict[int, dict[str, object]], client_ids: list[str]) -> None:
    """seqs 1..n without gaps, each client_id exactly once, in sending order."""
    assert sorted(history) == list(range(1, len(client_ids) + 1))
    assert [history[s]["client_id"] for s in sorted(history)] == client_ids


async def start_conversation(cluster: Cluster) -> tuple[Participant, Participant]:
    """Intake through nginx; the patient on instance A, nurse1 on instance B picks."""
    front, a, b = endpoint(cluster.nginx), endpoint(cluster.a), endpoint(cluster.b)
    contact = intake(front)
    patient = Participant(lambda: a, "patient", token=contact["patient_token"])
    await patient.connect()
    nurse = Participant(lambda: b, "staff", cookie=login_cookie(front, cluster.seed["nurse1"]))
    await nurse.connect()
    assigned = await nurse.request({"type": "pick"}, "assigned")
    assert assigned["contact"]["contact_id"] == contact["contact_id"]
    nurse.contact_id = contact["contact_id"]
    # The pick happened on B; the patient's socket is on A.
    assert (await patient.wait_frame("assigned"))["staff_name"] == "Nina Nurse"
    return patient, nurse


async def exchange(patient: Participant, nurse: Participant, turns: range, sent: list[str]) -> None:
    """Alternate patient and nurse messages; each side sees the other's live."""
    for i in turns:
        seq = await patient.send(f"p{i}", f"fråga {i}")
        sent.append(f"p{i}")
        assert (await nurse.wait_seq(seq))["client_id"] == f"p{i}"
        seq = await nurse.send(f"s{i}", f"svar {i}")
        sent.append(f"s{i}")
        assert (await patient.wait_seq(seq))["client_id"] == f"s{i}"


async def finish(patient: Participant, nurse: Participant, sent: list[str]) -> None:
    closed = await nurse.request(
        {"type": "close", "contact_id": nurse.contact_id, "outcome": "resolved_in_chat"}, "closed"
    )
    if closed["type"] == "error":
        # The close went through but its answer was lost to a resync close
        # (1012); the client's retry then finds the contact already closed.
        assert closed["code"] == "contact_closed"
    else:
        assert closed["outcome"] == "resolved_in_chat"
    assert (await patient.wait_frame("closed"))["outcome"] == "resolved_in_chat"
    assert_exactly_once(patient.seen, sent)
    assert_exactly_once(nurse.seen, sent)
    await patient.close()
    await nurse.close()


async def test_patient_instance_killed_mid_conversation(cluster: Cluster) -> None:
    """A is SIGKILLed mid-conversation; the patient resumes on B through nginx, nothing lost
    or doubled."""
    patient, nurse = await start_conversation(cluster)
    sent: list[str] = []
    await exchange(patient, nurse, range(5), sent)
    # The nurse answers while the patient's instance is being killed.
    reply = asyncio.create_task(nurse.send("s-kill", "svar under kraschen"))
    cluster.a.kill()
    front = endpoint(cluster.nginx)
    patient.where = lambda: front  # the web client reconnects to the public address
    reply_seq = await reply
    sent.append("s-kill")
    assert (await patient.wait_seq(reply_seq))["client_id"] == "s-kill"
    assert patient.reconnects >= 1
    await exchange(patient, nurse, range(5, 10), sent)
    await finish(patient, nurse, sent)


async def test_redis_restarted_mid_conversation(cluster: Cluster) -> None:
    """Redis restarts mid-conversation: clients are resynced by seq, nothing lost or doubled."""
    patient, nurse = await start_conversation(cluster)
    sent: list[str] = []
    await exchange(patient, nurse, range(4), sent)
    cluster.redis.stop()
    # Messages sent while Redis is down are stored; live delivery to the other
    # instance waits for the resync after Redis is back.
    p_seq = await patient.send("p-down", "medan redis är nere")
    s_seq = await nurse.send("s-down", "svar medan redis är nere")
    sent += ["p-down", "s-down"]
    cluster.redis.start()
    assert (await nurse.wait_seq(p_seq))["client_id"] == "p-down"
    assert (await patient.wait_seq(s_seq))["client_id"] == "s-down"
    await exchange(patient, nurse, range(4, 8), sent)
    await finish(patient, nurse, sent)
    assert patient.reconnects >= 1
    assert nurse.reconnects >= 1


def resync_waves(server: LiveServer) -> int:
    """How many times the instance closed all its sockets for a resync (its log)."""
    lines = server.stderr_path.read_text().splitlines()
    return sum(
        1
        for line in lines
        if line.startswith("{") and orjson.loads(line)["event"] == "redis_resync"
    )


async def test_one_resync_wave_per_redis_restart(cluster: Cluster) -> None:
    """One Redis restart closes each instance's sockets once (1012), not two or three
    times: the first publishes after resubscribing do not fail on stale pooled
    connections, and a publish lost during the outage does not start another wave
    on instances that resynced after it anyway."""
    patient, nurse = await start_conversation(cluster)
    sent: list[str] = []
    await exchange(patient, nurse, range(3), sent)
    assert (resync_waves(cluster.a), resync_waves(cluster.b)) == (0, 0)
    cluster.redis.stop()
    p_seq = await patient.send("p-down", "medan redis är nere")
    s_seq = await nurse.send("s-down", "svar medan redis är nere")
    sent += ["p-down", "s-down"]
    cluster.redis.start()
    assert (await nurse.wait_seq(p_seq))["client_id"] == "p-down"
    assert (await patient.wait_seq(s_seq))["client_id"] == "s-down"
    await exchange(patient, nurse, range(3, 8), sent)
    # A late wave would come within the announcer's back-off (at most 5 s) and
    # the subscription's reconnect: give it time, chatting on.
    for i in range(8, 14):
        await asyncio.sleep(1.0)
        await exchange(patient, nurse, range(i, i + 1), sent)
    assert (resync_waves(cluster.a), resync_waves(cluster.b)) == (1, 1)
    assert (patient.reconnects, nurse.reconnects) == (1, 1)
    await finish(patient, nurse, sent)


async def test_readyz_reports_redis(cluster: Cluster) -> None:
    """/readyz is 200 with storage and fanout ok, 503 with fanout false while Redis is down."""
    url = f"{cluster.a.url}/readyz"
    ok = httpx.get(url, timeout=5)
    assert (ok.status_code, ok.json()["checks"]) == (
        200,
        {"storage": True, "writes": True, "fanout": True},
    )
    cluster.redis.stop()
    down = httpx.get(url, timeout=5)
    assert (down.status_code, down.json()["checks"]) == (
        503,
        {"storage": True, "writes": True, "fanout": False},
    )
    cluster.redis.start()
    await wait_until_async(lambda: httpx.get(url, timeout=5).status_code == 200, timeout=10)
    assert httpx.get(url, timeout=5).json()["checks"] == {
        "storage": True,
        "writes": True,
        "fanout": True,
    }


async def test_nurses_on_two_instances_pick_concurrently(cluster: Cluster) -> None:
    """40 waiting contacts, nurse1 on A and nurse2 on B picking at once: each taken exactly once;
    an intake on one instance updates the dashboard on the other."""
    front, a, b = endpoint(cluster.nginx), endpoint(cluster.a), endpoint(cluster.b)
    n1 = Participant(lambda: a, "staff", cookie=login_cookie(front, cluster.seed["nurse1"]))
    n2 = Participant(lambda: b, "staff", cookie=login_cookie(front, cluster.seed["nurse2"]))
    await n1.connect()
    await n2.connect()
    n1.frames.clear()
    intake(b)  # stored by instance B; nurse1's dashboard lives on A
    queues = await n1.wait_frame("queues")
    nurse_queue = next(q for q in queues["queues"] if q["id"] == "hc1:nurse")
    assert nurse_queue["count"] == 1
    ids = {intake(front, name=f"P{i}")["contact_id"] for i in range(39)}

    async def picker(nurse: Participant) -> list[str]:
        got: list[str] = []
        while True:
            frame = await nurse.request({"type": "pick"}, "assigned")
            if frame["type"] == "error":
                assert frame["code"] == "queue_empty"
                return got
            got.append(frame["contact"]["contact_id"])

    first, second = await asyncio.gather(picker(n1), picker(n2))
    assert len(first) + len(second) == 40
    assert set(first).isdisjoint(second)
    assert ids < set(first) | set(second)
    assert (len(first) > 0, len(second) > 0) == (True, True)
    await n1.close()
    await n2.close()
