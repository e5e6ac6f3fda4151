"""No 500 for any input: every HTTP route, every path and query parameter, edge values.

The routes are read from the app (``app.routes``), so a new route is swept
without touching this file. For each route the sweep first finds who may call
it (anonymous, a patient token, a nurse, a manager, an admin: the first whose
probe is not 401/403) and which query parameters the handler reads (recorded
while the probe runs), then sends every edge value in every path parameter and
every query parameter, one at a time, the others valid. Each answer must be
below 500, and every refusal must have the documented error shape
``{"error": {"code", "message"}}`` with a code listed in docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.datastructures import ImmutableMultiDict, QueryParams
from starlette.routing import Route
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.ws.wire import SEQ_MAX
from tests.helpers import ORIGIN, PASSWORD, Seed, intake, receive_until, seed_directory
from tests.pg import PgServer, migrated_template, pg_server

__all__ = ["pg_server"]  # the session fixture of tests/pg.py

PROTOCOL_DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()

# Each value is sent percent-encoded, except RAW ones which go into the URL as
# they are (non-UTF-8 escapes: the server decodes them with replacement).
EDGE: dict[str, str] = {
    "first-day": "0001-01-01",
    "last-day": "9999-12-31",
    "first-moment": "0001-01-01T00:00:00+01:00",
    "last-moment": "9999-12-31T23:59:59-01:00",
    "huge": "99999999999999999999999",
    "int64-plus-one": "9223372036854775808",
    "minus-one": "-1",
    "zero": "0",
    "superscript-two": "²",
    "arabic-indic-three": "٣",
    "5000-digits": "9" * 5000,
    "float-exponent": "1e400",
    "nan": "nan",
    "empty": "",
    "space": " ",
    "nul": "\x00",
    "long": "x" * 10_000,
    "non-utf8": "%ff%fe",
}
RAW = {"non-utf8"}

# Valid values, so that a request gets past the other parameters.
BASE_QUERY: dict[str, str] = {
    "unit": "hc1",
    "from": "2026-01-01",
    "to": "2026-01-31",
    "bucket": "week",
    "lang": "sv",
    "age": "40",
    "limit": "10",
    "n": "5",
    "seed": "7",
}
BASE_QUERY_OF: dict[str, dict[str, str]] = {
    # Epoch seconds, not dates.
    "/api/survey/summary": {"from": "1767225600", "to": "1769904000"},
}
BASE_PATH: dict[str, str] = {
    "unit_id": "hc1",
    "queue_id": "hc1:nurse",
    "contact_id": "0" * 32,
    # Ids that name nothing: the sweep must not change the seeded accounts.
    "canned_id": "999",
    "banner_id": "999",
    "user_id": "999",
    "fmt": "csv",
}
BASE_PATH_OF: dict[tuple[str, str], str] = {
    ("/api/stats/tables/{name}.csv", "name"): "channel_shift",
    ("/api/stats/charts/{name}.svg", "name"): "chat-share",
}
# Who is tried, in order; the first whose probe is not 401/403 sweeps the route.
IDENTITIES = ("anonymous", "patient", "nurse1", "manager1", "admin1")
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _routes() -> list[tuple[str, str]]:
    """(method, path) of every HTTP route of the app, HEAD left out."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp) / "data"))
    found: list[tuple[str, str]] = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                found.append((method, route.path))
    return found


ROUTES = _routes()


@dataclass
class Caller:
    """One TestClient, with a stored session per staff account and a patient token."""

    client: TestClient
    seed: Seed
    cookie_name: str
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)
    patient_token: str = ""

    def login(self, username: str) -> None:
        account = self.seed[username]
        self.client.cookies.clear()
        self.client.app.state.chat.limits.storage.reset()  # type: ignore[attr-defined]
        r = self.client.post(
            "/api/staff/login",
            json={"username": username, "password": PASSWORD, "otp": account.otp()},
        )
        assert r.status_code == 200, r.text
        cookie = self.client.cookies.get(self.cookie_name)
        assert cookie
        self.sessions[username] = (cookie, str(r.json()["csrf_token"]))
        self.client.cookies.clear()

    def headers(self, identity: str, method: str) -> dict[str, str]:
        if identity == "anonymous":
            return {}
        if identity == "patient":
            return {"authorization": f"Bearer {self.patient_token}"}
        cookie, csrf = self.sessions[identity]
        sent = {"cookie": f"{self.cookie_name}={cookie}"}
        if method in CHANGES:
            sent["x-csrf-token"] = csrf
        return sent

    def send(self, identity: str, method: str, url: str) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers(identity, method)}
        if method in {"POST", "PUT", "PATCH"}:
            kwargs["json"] = {}
        try:
            return self.client.request(method, url, **kwargs)
        finally:
            self.client.cookies.clear()

    def keep_signed_in(self) -> None:
        """A probed route may have ended a session (logout): sign in again."""
        for username in list(self.sessions):
            cookie, _ = self.sessions[username]
            r = self.client.get("/api/staff/me", headers={"cookie": f"{self.cookie_name}={cookie}"})
            self.client.cookies.clear()
            if r.status_code == 401:
                self.login(username)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def caller(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Caller]:
    """On both engines: PostgreSQL's integer columns end sooner than Python's ints."""
    url: str | None = None
    if request.param == "postgresql":
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.url(server.create_database(template=migrated_template(server)))
    # No second factor: a route that ends a session (logout) is followed by a new
    # sign-in, and a TOTP code may not be used twice.
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("sweep") / "data", database_url=url, require_otp=False
    )
    seed = asyncio.run(seed_directory(settings))
    app = create_app(settings)
    with TestClient(app, headers={"origin": ORIGIN}, raise_server_exceptions=False) as client:
        caller = Caller(client, seed, app.state.chat.sessions.cookie_name)
        for username in IDENTITIES[2:]:
            caller.login(username)
        caller.patient_token = str(intake(client)["patient_token"])
        yield caller


def _url(path: str, params: dict[str, str], query: dict[str, str], raw: set[str]) -> str:
    def enc(name: str, value: str) -> str:
        return value if name in raw else quote(value, safe="")

    for name, value in params.items():
        path = re.sub(r"\{" + name + r"(:[a-z]+)?\}", enc(name, value), path)
    if query:
        path += "?" + "&".join(f"{k}={enc(k, v)}" for k, v in query.items())
    return path


def _problem(r: Any) -> str | None:
    """Why an answer breaks the contract, or None."""
    if r.status_code >= 500:
        return f"{r.status_code}"
    if r.status_code < 400:
        return None
    try:
        body = r.json()
        err = body["error"]
        code, message = err["code"], err["message"]
    except (ValueError, KeyError, TypeError):
        return f"{r.status_code} without the error shape: {r.text[:80]!r}"
    if not isinstance(code, str) or not CODE.match(code) or not isinstance(message, str):
        return f"{r.status_code} with a malformed error: {err!r}"
    if f"`{code}`" not in PROTOCOL_DOC:
        return f"{r.status_code} {code}: not in docs/protocol.md"
    return None


class _ReadRecorder:
    """Records the query parameter names a handler reads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: set[str] = set()
        original_get = ImmutableMultiDict.get
        original_getitem = ImmutableMultiDict.__getitem__
        original_contains = ImmutableMultiDict.__contains__
        original_getlist = ImmutableMultiDict.getlist
        names = self.names

        def get(self: ImmutableMultiDict[Any, Any], key: Any, default: Any = None) -> Any:
            if isinstance(self, QueryParams):
                names.add(str(key))
            return original_get(self, key, default)

        def getitem(self: ImmutableMultiDict[Any, Any], key: Any) -> Any:
            if isinstance(self, QueryParams):
                names.add(str(key))
            return original_getitem(self, key)

        def contains(self: ImmutableMultiDict[Any, Any], key: Any) -> bool:
            if isinstance(self, QueryParams):
                names.add(str(key))
            return original_contains(self, key)

        def getlist(self: ImmutableMultiDict[Any, Any], key: Any) -> list[Any]:
            if isinstance(self, QueryParams):
                names.add(str(key))
            return original_getlist(self, key)

        monkeypatch.setattr(ImmutableMultiDict, "get", get)
        monkeypatch.setattr(ImmutableMultiDict, "__getitem__", getitem)
        monkeypatch.setattr(ImmutableMultiDict, "__contains__", contains)
        monkeypatch.setattr(ImmutableMultiDict, "getlist", getlist)


def _path_params(path: str) -> list[str]:
    return re.findall(r"\{([a-z_]+)(?::[a-z]+)?\}", path)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_no_5xx_for_any_parameter(
    caller: Caller, monkeypatch: pytest.MonkeyPatch, method: str, path: str
) -> None:
    """Edge values in each path and query parameter: a 4xx of the documented shape
    (or a success), never a 5xx."""
    caller.keep_signed_in()
    base_path = {
        name: BASE_PATH_OF.get((path, name), BASE_PATH.get(name, "x"))
        for name in _path_params(path)
    }
    base_query = {**BASE_QUERY, **BASE_QUERY_OF.get(path, {})}
    if method != "GET":
        base_query = {}

    recorder = _ReadRecorder(monkeypatch)
    identity = "anonymous"
    for candidate in IDENTITIES:
        r = caller.send(candidate, method, _url(path, base_path, base_query, set()))
        identity = candidate
        if r.status_code not in (401, 403):
            break
    monkeypatch.undo()
    caller.keep_signed_in()
    query_names = sorted(recorder.names)

    problems: list[str] = []
    for place, names in (("path", list(base_path)), ("query", query_names)):
        for name in names:
            for label, value in EDGE.items():
                raw = {name} if label in RAW else set()
                if place == "path":
                    url = _url(path, {**base_path, name: value}, base_query, raw)
                else:
                    url = _url(path, base_path, {**base_query, name: value}, raw)
                r = caller.send(identity, method, url)
                why = _problem(r)
                if why is not None:
                    problems.append(f"{place} {name}={label}: {why}")
            caller.keep_signed_in()
    # Two query parameters at once (from = to = 9999-12-31: date arithmetic at
    # the end of the calendar; the others stay valid so that the pair is reached).
    for first, second in itertools.combinations(query_names, 2):
        for label, value in EDGE.items():
            if len(value) > 100:  # sent one at a time above
                continue
            raw = {first, second} if label in RAW else set()
            query = {**base_query, first: value, second: value}
            why = _problem(caller.send(identity, method, _url(path, base_path, query, raw)))
            if why is not None:
                problems.append(f"query {first}={second}={label}: {why}")
    assert not problems, f"{method} {path} as {identity}: " + "; ".join(problems)


def test_socket_seqs_fit_the_database(caller: Caller) -> None:
    """``last_seq``/``after_seq`` past PostgreSQL's INTEGER are refused, not sent to SQL."""
    with caller.client.websocket_connect("/ws/patient") as ws:
        ws.send_json({"type": "hello", "token": caller.patient_token, "last_seq": SEQ_MAX + 1})
        frame = receive_until(ws, "error")
        assert (frame["code"], list(frame["fields"])) == ("invalid_field", ["last_seq"])
        ws.send_json({"type": "hello", "token": caller.patient_token, "last_seq": SEQ_MAX})
        assert receive_until(ws, "welcome")["messages"] == []
        ws.send_json({"type": "sync", "after_seq": SEQ_MAX})
        assert receive_until(ws, "history")["messages"] == []
        ws.send_json({"type": "sync", "after_seq": 2**63})
        assert receive_until(ws, "error")["code"] == "invalid_field"
