"""The log redaction processor keeps patient data and secrets out of the logs."""

from __future__ import annotations

import io

import orjson
import structlog

from chatserver import logs
from chatserver.identity.personnummer import parse

PNR = "19121212-1212"
TOKEN = "Zx9_" + "a1B2c3D4" * 5  # 44 characters of base64url, like a patient token


def capture(event: str, **kw: object) -> dict[str, object]:
    stream = io.StringIO()
    logs.configure("debug", stream=stream)
    try:
        logs.get_logger("test").info(event, **kw)
    finally:
        structlog.reset_defaults()
    data: dict[str, object] = orjson.loads(stream.getvalue())
    return data


def test_sensitive_keys_are_dropped() -> None:
    """Bodies, names, tokens, passwords, OTP codes and cookies never reach the output."""
    line = capture(
        "x",
        body="Jag har ont",
        name="Petra",
        patient_token=TOKEN,
        password="hunter22",
        otp="123456",
        cookie="chat_session=abc",
        contact_id="c" * 32,
    )
    for key in ("body", "name", "patient_token", "password", "otp", "cookie"):
        assert line[key] == "[redacted]"
    assert line["contact_id"] == "c" * 32


def test_personnummer_and_tokens_masked_in_any_string() -> None:
    """A personnummer or an opaque token inside any other string is masked."""
    line = capture("x", detail=f"patient {PNR} token {TOKEN} and 199001011234")
    assert line["detail"] == "patient [pnr] token [token] and [pnr]"


def test_nested_values_are_cleaned() -> None:
    """Dicts and lists are cleaned recursively."""
    line = capture("x", extra={"text": "secret words", "list": [PNR, {"token": TOKEN}]})
    assert line["extra"] == {"text": "[redacted]", "list": ["[pnr]", {"token": "[redacted]"}]}


def test_event_name_scrubbed_too() -> None:
    """Even the event message is scrubbed of personnummer."""
    line = capture(f"lookup {PNR}")
    assert line["event"] == "lookup [pnr]"


def test_personnummer_keys_and_values_never_logged() -> None:
    """A personnummer under its own key, the OIDC claim name, or as a parsed value
    (or its 12 digits anywhere) never reaches the output."""
    value = parse(PNR)
    line = capture(
        "x",
        personnummer=value.digits,
        pnr=PNR,
        personalIdentityNumber=value.digits,
        claims={"https://id.oidc.se/claim/personalIdentityNumber": value.digits},
        identity=value,
    )
    assert line["personnummer"] == "[redacted]"
    assert line["pnr"] == "[redacted]"
    assert line["personalIdentityNumber"] == "[redacted]"
    assert line["claims"] == {"https://id.oidc.se/claim/personalIdentityNumber": "[pnr]"}
    assert line["identity"] == "Personnummer('19121212-****')"
