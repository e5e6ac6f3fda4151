"""The message frame's photo fields: exact JSON, and absent on plain messages."""

from __future__ import annotations

from chatserver.storage.base import Message
from chatserver.ws.wire import message_dict

META = {
    "id": "a1",
    "content_type": "image/jpeg",
    "bytes": 1234,
    "sha256": "ab" * 32,
    "width": 640,
    "height": 480,
}


def test_photo_message_frame() -> None:
    """A photo message carries attachment (without sha256) and its possibly empty body."""
    m = Message("c1", 3, "patient", "Petra", "p-1", "", 1_700_000_000.5, attachment=META)
    assert message_dict(m) == {
        "type": "message",
        "contact_id": "c1",
        "seq": 3,
        "sender": "patient",
        "sender_name": "Petra",
        "body": "",
        "client_id": "p-1",
        "sent_at": "2023-11-14T22:13:20.500Z",
        "attachment": {
            "id": "a1",
            "content_type": "image/jpeg",
            "width": 640,
            "height": 480,
            "bytes": 1234,
        },
    }


def test_photo_request_frame_and_plain_message() -> None:
    """photo_request appears only when true; a plain message has neither field."""
    ask = Message("c1", 4, "staff", "Nina", "s-1", "Skicka en bild", 0.0, photo_request=True)
    assert message_dict(ask)["photo_request"] is True
    assert "attachment" not in message_dict(ask)
    plain = message_dict(Message("c1", 5, "staff", "Nina", "s-2", "Hej", 0.0))
    assert "photo_request" not in plain
    assert "attachment" not in plain
