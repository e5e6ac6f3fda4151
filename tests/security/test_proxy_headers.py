"""Forwarded headers and HTTP timeouts of ``chatserver serve`` (issue 20, point 10):
without ``CHATSERVER_FORWARDED_ALLOW_IPS`` no ``X-Forwarded-For`` is believed, so
rotating it does not escape the per-address limits; with it, only the named
proxy's header counts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from chatserver.cli.serve import proxy_options
from chatserver.settings import Settings
from tests.helpers import Seed, intake_body
from tests.live import LiveServer

LIMIT = {"CHATSERVER_INTAKE_RATE_LIMIT": "3/minute"}


def _rotating_intakes(srv: LiveServer, n: int) -> list[int]:
    with httpx.Client(timeout=10) as client:
        return [
            client.post(
                f"{srv.url}/api/contacts",
                json=intake_body(),
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            ).status_code
            for i in range(n)
        ]


def test_forwarded_for_ignored_by_default(settings: Settings, seed: Seed) -> None:
    """A client on 127.0.0.1 (where a local proxy would be) rotating X-Forwarded-For
    is still one address: the fourth intake in a minute is refused."""
    with LiveServer(settings.data_dir, env=LIMIT) as srv:
        assert _rotating_intakes(srv, 5) == [201, 201, 201, 429, 429]


def test_forwarded_for_believed_from_a_named_proxy(settings: Settings, seed: Seed) -> None:
    """Named as the proxy, 127.0.0.1's X-Forwarded-For is each client's address."""
    env = {**LIMIT, "CHATSERVER_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with LiveServer(settings.data_dir, env=env) as srv:
        assert _rotating_intakes(srv, 5) == [201] * 5


def test_proxy_options(tmp_path: Path) -> None:
    """uvicorn's own default (trust 127.0.0.1, or its FORWARDED_ALLOW_IPS) is never used."""
    assert proxy_options(Settings(data_dir=tmp_path)) == {
        "proxy_headers": False,
        "forwarded_allow_ips": [],
    }
    named = Settings(data_dir=tmp_path, forwarded_allow_ips="10.0.0.5, 10.1.0.0/16")  # type: ignore[arg-type]
    assert proxy_options(named) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.5", "10.1.0.0/16"],
    }


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHATSERVER_FORWARDED_ALLOW_IPS", "192.0.2.1,192.0.2.2")
    monkeypatch.setenv("CHATSERVER_HTTP_KEEP_ALIVE_S", "7")
    s = Settings(data_dir=tmp_path)
    assert s.forwarded_allow_ips == ("192.0.2.1", "192.0.2.2")
    assert s.http_keep_alive_s == 7
    assert Settings(data_dir=tmp_path / "x").emergency_ack_window_s == 1800
