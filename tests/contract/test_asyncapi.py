"""docs/asyncapi.yaml: generated from the frame models, checked in, complete,
and true of what a real server sends."""

from __future__ import annotations

import asyncio
import typing
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from chatserver.contract import asyncapi, frames
from chatserver.contract.__main__ import main
from chatserver.contract.yaml_text import dump
from chatserver.errors import CLOSE_CODES
from chatserver.fanout.redis_pubsub import CLOSE_RESYNC
from chatserver.settings import Settings
from chatserver.ws import wire
from tests.app.test_frames import EXAMPLES
from tests.helpers import Seed
from tests.live import LiveServer
from tests.realserver.client import (
    http_intake,
    login_cookie,
    open_patient,
    open_staff,
    recv_json,
    send_json,
)

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))
    return loaded


def _validators(doc: dict[str, Any], channel: str) -> dict[str, list[Any]]:
    """The channel's server-frame validators by frame type (some types have two shapes)."""
    out: dict[str, list[Any]] = {}
    for op in doc["operations"].values():
        if op["action"] != "send" or op["channel"]["$ref"] != f"#/channels/{channel}":
            continue
        for ref in op["messages"]:
            name = ref["$ref"].rsplit("/", 1)[1]
            message = doc["components"]["messages"][name]
            schema = {**message["payload"], "components": doc["components"]}
            jsonschema.Draft202012Validator.check_schema(schema)
            out.setdefault(message["name"], []).append(jsonschema.Draft202012Validator(schema))
    return out


def _check(validators: dict[str, list[Any]], frame: dict[str, Any]) -> None:
    """``frame`` matches one of the shapes documented for its type on this channel."""
    shapes = validators.get(frame["type"])
    assert shapes, f"frame type {frame['type']!r} is not documented on this channel"
    errors = [e.message for v in shapes for e in v.iter_errors(frame)]
    assert any(v.is_valid(frame) for v in shapes), (frame, errors)


def test_checked_in_document_is_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/asyncapi.yaml is the generator's output; a stale copy exits 1."""
    assert main(["asyncapi", "--check", str(DOC_PATH)]) == 0
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(DOC_PATH.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert main(["asyncapi", "--check", str(stale)]) == 1
    assert "is stale" in capsys.readouterr().err
    assert main(["asyncapi"]) == 0
    assert capsys.readouterr().out == DOC_PATH.read_text(encoding="utf-8")


def test_yaml_reads_back_as_the_document() -> None:
    """The small YAML writer round-trips the document and awkward strings."""
    built = asyncapi.build()
    assert yaml.safe_load(dump(built)) == built
    awkward = {
        "a": ["yes", "null", "1.0", "#x", "- y", "a: b", "", " s ", "{x}", "ö"],
        "b": [[1, 2], [], {}, None, True, 2.5, {"k": {"n": []}}],
        "on": "off",
    }
    assert yaml.safe_load(dump(awkward)) == awkward


def test_every_client_frame_type_is_documented(doc: dict[str, Any]) -> None:
    """Each type the sockets parse is a message the service receives on that channel."""
    for channel, types in (("patient", wire.PATIENT_TYPES), ("staff", wire.STAFF_TYPES)):
        received = {
            doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]["name"]
            for ref in doc["operations"][f"{channel}Sends"]["messages"]
        }
        assert received == set(types), channel
        assert doc["operations"][f"{channel}Sends"]["action"] == "receive"


def test_every_server_frame_class_has_a_documented_model(doc: dict[str, Any]) -> None:
    """A new ServerFrame class without a model in contract/frames.py fails here."""
    classes = set(typing.get_args(wire.ServerFrame)) - {wire.Relayed}
    assert set(frames.SERVER_MODELS) == classes
    sent = set(frames.PATIENT_RECEIVES) | set(frames.STAFF_RECEIVES)
    assert set(frames.SERVER_MODELS.values()) == sent
    names = set(doc["components"]["messages"])
    assert {m.__name__ for m in sent} <= names


def test_close_codes_are_documented(doc: dict[str, Any]) -> None:
    """Every close code of errors.py and the scale-out resync code, on both channels."""
    assert asyncapi.CLOSE_RESYNC == CLOSE_RESYNC
    wanted = {str(c) for c in CLOSE_CODES} | {str(CLOSE_RESYNC)}
    for channel in ("patient", "staff"):
        assert set(doc["channels"][channel]["x-close-codes"]) == wanted


@pytest.mark.parametrize(("frame", "expected"), EXAMPLES, ids=lambda x: type(x).__name__)
def test_every_frame_example_matches_its_schema(
    doc: dict[str, Any], frame: wire.ServerFrame, expected: dict[str, Any]
) -> None:
    """The pinned JSON of every server frame (tests/app/test_frames.py) fits the document."""
    if isinstance(frame, wire.Relayed):
        return  # another frame's JSON, relayed as is
    model = frames.SERVER_MODELS[type(frame)]
    schema = {**doc["components"]["messages"][model.__name__]["payload"]}
    validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(wire.to_dict(frame))]
    assert errors == []


def test_a_schema_refuses_a_wrong_frame(doc: dict[str, Any]) -> None:
    """The schemas are not vacuous: a wrong type or a missing field is refused."""
    validators = _validators(doc, "patient")
    ack = {"type": "ack", "client_id": "c", "contact_id": "x", "seq": 1}
    assert any(v.is_valid(ack) for v in validators["ack"])
    assert not any(v.is_valid({**ack, "seq": "1"}) for v in validators["ack"])
    assert not any(v.is_valid({"type": "ack", "seq": 1}) for v in validators["ack"])
    assert "escalation" not in validators  # a staff-only frame


async def _conversation(srv: LiveServer, seed: Seed) -> tuple[list[Any], list[Any]]:
    """A whole chat on a real server; every frame each side received."""
    patient_frames: list[dict[str, Any]] = []
    staff_frames: list[dict[str, Any]] = []

    async def until(ws: Any, log: list[Any], type_: str) -> dict[str, Any]:
        while True:
            frame = await recv_json(ws)
            log.append(frame)
            if frame["type"] == type_:
                return frame

    staff = await open_staff(srv, login_cookie(srv, seed["nurse1"]))
    await until(staff, staff_frames, "welcome")
    intake = http_intake(srv)
    cid = intake["contact_id"]
    patient = await open_patient(srv)
    await send_json(patient, {"type": "hello", "token": intake["patient_token"], "last_seq": 0})
    await until(patient, patient_frames, "welcome")
    await send_json(patient, {"type": "message", "client_id": "p1", "body": "Hej"})
    await until(patient, patient_frames, "ack")
    await send_json(staff, {"type": "pick", "contact_id": cid})
    await until(staff, staff_frames, "assigned")
    await until(patient, patient_frames, "assigned")
    await send_json(staff, {"type": "typing", "contact_id": cid})
    await until(patient, patient_frames, "typing")
    await send_json(patient, {"type": "typing"})
    await until(staff, staff_frames, "typing")
    await send_json(
        staff, {"type": "message", "client_id": "s1", "body": "Hej, hur mår du?", "contact_id": cid}
    )
    await until(staff, staff_frames, "ack")
    await until(patient, patient_frames, "message")
    await send_json(patient, {"type": "message", "client_id": "p2", "body": "Bättre"})
    await until(staff, staff_frames, "message")
    await send_json(patient, {"type": "sync", "after_seq": 0})
    await until(patient, patient_frames, "history")
    await send_json(staff, {"type": "sync", "after_seq": 1, "contact_id": cid})
    await until(staff, staff_frames, "history")
    await send_json(staff, {"type": "note", "contact_id": cid, "body": "Ringer upp"})
    await until(staff, staff_frames, "note")
    await send_json(
        staff, {"type": "override", "contact_id": cid, "level": "urgent", "reason": "feber"}
    )
    await until(staff, staff_frames, "triage")
    await send_json(patient, {"type": "ping"})
    await until(patient, patient_frames, "pong")
    await send_json(staff, {"type": "ping"})
    await until(staff, staff_frames, "pong")
    await send_json(patient, {"type": "nonsense"})
    await until(patient, patient_frames, "error")
    await send_json(staff, {"type": "close", "contact_id": "nope", "outcome": "resolved_in_chat"})
    await until(staff, staff_frames, "error")
    await send_json(staff, {"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
    await until(staff, staff_frames, "closed")
    await until(patient, patient_frames, "closed")
    await patient.close()
    await staff.close()
    return patient_frames, staff_frames


def test_frames_of_a_real_conversation_match_the_document(
    doc: dict[str, Any], settings: Settings, seed: Seed
) -> None:
    """Every frame a real server sends in a whole chat validates against docs/asyncapi.yaml."""
    env = {"CHATSERVER_INTAKE_RATE_LIMIT": "100000/minute"}
    with LiveServer(settings.data_dir, env=env) as srv:
        assert httpx.get(f"{srv.url}/livez", timeout=10).status_code == 200
        patient_frames, staff_frames = asyncio.run(_conversation(srv, seed))
    for channel, received in (("patient", patient_frames), ("staff", staff_frames)):
        validators = _validators(doc, channel)
        for frame in received:
            _check(validators, frame)
    assert {f["type"] for f in patient_frames} >= {
        "welcome",
        "ack",
        "assigned",
        "typing",
        "message",
        "history",
        "pong",
        "error",
        "closed",
    }
    assert {f["type"] for f in staff_frames} >= {
        "welcome",
        "queues",
        "assigned",
        "typing",
        "ack",
        "message",
        "history",
        "note",
        "triage",
        "pong",
        "error",
        "closed",
    }
