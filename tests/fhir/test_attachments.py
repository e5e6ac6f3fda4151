"""A photo sent in the chat (chatserver/attachments), end to end in the FHIR
export: a ``contentAttachment`` with the stored type and size, the base64 SHA-1
of the bytes the service serves, and the authenticated URL, never the bytes."""

from __future__ import annotations

import base64
import hashlib

from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.attachments.images import png
from tests.attachments.util import upload
from tests.fhir.validate import assert_bundle_resolves
from tests.helpers import ORIGIN, Seed, intake, login


def test_photo_is_exported_as_a_linked_attachment(settings: Settings, seed: Seed) -> None:
    """The patient's photo: contentType, size, SHA-1 hash of the served bytes, URL."""
    with TestClient(create_app(settings), headers={"origin": ORIGIN}) as c:
        contact = intake(c)
        cid, token = contact["contact_id"], contact["patient_token"]
        r = upload(c, cid, png(), token=token, caption="Så här ser det ut")
        assert r.status_code == 201, r.text
        meta = r.json()["attachment"]
        login(c, seed["nurse1"])
        served = c.get(f"/api/attachments/{meta['id']}")
        assert served.status_code == 200
        r = c.get(f"/api/contacts/{cid}/fhir")
        assert r.status_code == 200, r.text
    bundle = r.json()
    assert_bundle_resolves(bundle)
    (comm,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Communication"
    ]
    attachment = comm["payload"][-1]["contentAttachment"]
    assert attachment == {
        "contentType": meta["content_type"],
        "url": f"http://testserver/api/attachments/{meta['id']}",
        "size": meta["bytes"],
        "hash": base64.b64encode(hashlib.sha1(served.content).digest()).decode(),
    }
    assert len(served.content) == meta["bytes"]
    assert base64.b64encode(served.content).decode() not in r.text
