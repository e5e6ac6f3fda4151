"""The nginx template lets a photo upload through on its route only: a 2 MB body
reaches the app on /api/contacts/{id}/attachments and is refused with 413 by
nginx anywhere else (256 KiB)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from chatserver.settings import Settings
from tests.helpers import Seed, intake_body
from tests.live import LiveServer
from tests.scaleout.cluster import Nginx


@pytest.fixture
def edge(settings: Settings, seed: Seed, tmp_path: Path) -> Iterator[Nginx]:
    env = {"CHATSERVER_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with LiveServer(settings.data_dir, env=env) as srv:
        proxy = Nginx(tmp_path / "nginx", [srv.port]).start()
        try:
            yield proxy
        finally:
            proxy.stop()


def _big_png() -> bytes:
    """About 2 MB of incompressible pixels: over nginx's 256 KiB, under the 10 MiB limit."""
    import io  # noqa: PLC0415

    im = Image.frombytes("RGB", (820, 820), os.urandom(820 * 820 * 3))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def test_upload_route_takes_a_large_body_others_do_not(edge: Nginx) -> None:
    """2 MB photo through nginx: 201; the same size to intake: 413 from nginx itself."""
    photo = _big_png()
    assert 1_500_000 < len(photo) < 10 * 1024 * 1024
    with httpx.Client(verify=False, timeout=30) as client:
        made = client.post(
            f"{edge.url}/api/contacts", json=intake_body(), headers={"Origin": edge.origin}
        ).json()
        r = client.post(
            f"{edge.url}/api/contacts/{made['contact_id']}/attachments",
            data={"client_id": "via-nginx"},
            files={"file": ("p.png", photo, "image/png")},
            headers={"authorization": f"Bearer {made['patient_token']}"},
        )
        assert r.status_code == 201, r.text
        refused = client.post(
            f"{edge.url}/api/contacts",
            content=photo,
            headers={"content-type": "application/json", "Origin": edge.origin},
        )
        assert refused.status_code == 413
        assert "nginx" in refused.text  # nginx's own page: the app never saw it
