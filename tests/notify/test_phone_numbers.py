"""Swedish mobile numbers as patients write them, normalised to E.164."""

from __future__ import annotations

import io

import orjson
import pytest
import structlog

from chatserver import logs
from chatserver.errors import InvalidInput
from chatserver.notify.sms import normalise_mobile, sms_text


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0701234567", "+46701234567"),
        ("070-123 45 67", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046731234567", "+46731234567"),
        ("(076) 123-45.67", "+46761234567"),
        ("072 000 00 00", "+46720000000"),
        ("+46791234567", "+46791234567"),
    ],
)
def test_mobile_numbers_are_normalised(raw: str, e164: str) -> None:
    """Spaces, dashes, brackets and the country prefix are accepted."""
    assert normalise_mobile(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "08-123 456 78",  # Stockholm landline
        "0711234567",  # 071: machine-to-machine
        "0741234567",  # 074: not mobile
        "070123456",  # a digit short
        "07012345678",  # a digit more
        "+4570123456",  # Danish
        "701234567",  # no prefix
        "070-123 45 6x",
        "٠٧٠١٢٣٤٥٦٧",  # Arabic-Indic digits
        "0" * 40,
        12345,
        None,
    ],
)
def test_other_numbers_are_refused(raw: object) -> None:
    """Anything but a Swedish mobile number is 422 naming ``phone``."""
    with pytest.raises(InvalidInput) as info:
        normalise_mobile(raw)
    assert info.value.code == "invalid_field"
    assert list(info.value.fields or {}) == ["phone"]


def test_sms_text_has_no_patient_data() -> None:
    """The text says whose turn only by being sent; it links the chat when known."""
    assert sms_text("sv", None) == "Det är din tur i vårdchatten. Öppna chatten för att fortsätta."
    assert sms_text("en", "https://chat.example.se") == (
        "It is your turn in the care chat. Open the chat: https://chat.example.se/"
    )


def test_phone_and_endpoint_keys_are_redacted_in_logs() -> None:
    """A log line that named a phone number or a push endpoint would show neither."""
    stream = io.StringIO()
    logs.configure("debug", stream=stream)
    try:
        logs.get_logger("test").info(
            "x",
            phone="+46701234567",
            endpoint="https://fcm.googleapis.com/fcm/send/abc",
            kind="picked",
        )
    finally:
        structlog.reset_defaults()
    line = orjson.loads(stream.getvalue())
    assert (line["phone"], line["endpoint"], line["kind"]) == ("[redacted]", "[redacted]", "picked")
