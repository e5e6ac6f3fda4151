"""Schemathesis against a real ``chatserver serve`` on port 0: every operation
of ``/openapi.json``, a bounded number of generated requests each, signed in as
an admin (session cookie + CSRF header) and with a valid patient token; three
passes: negative (invalid parameters and bodies), directed (path ids of rows
that exist, clinical routes as a nurse) and positive.

Each answer must be no 5xx, a documented status, a documented content type, and
match the documented schema. The run's figures go to docs/protocol.md
("Fuzzing the contract"); print them with ``-s`` (``CONTRACT_FUZZ_DEBUG=1``:
every answer; ``CONTRACT_FUZZ_SCALE=N``: N times the examples).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup  # a BaseExceptionGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chatserver.settings import Settings
from tests.helpers import PASSWORD, Seed, intake_body
from tests.live import LiveServer

pytestmark = pytest.mark.xdist_group("contract_fuzz")

# Examples per operation and mode: ~80 operations on a busy 2-core machine stay
# well under the 3 minutes the whole run may take. Negative examples (invalid
# parameters and bodies) must get a documented 4xx, never a 5xx.
# CONTRACT_FUZZ_SCALE=N multiplies them for a longer hunt by hand.
SCALE = int(os.environ.get("CONTRACT_FUZZ_SCALE", "1"))
EXAMPLES = {GenerationMode.POSITIVE: 12 * SCALE, GenerationMode.NEGATIVE: 6 * SCALE}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Run last: they end or weaken the admin's own session (sign-out, own second
# factor or password reset), which the other operations need.
LAST = (
    "POST /api/admin/users/{user_id}/reset-second-factor",
    "POST /api/admin/users/{user_id}/reset-password",
    "PATCH /api/admin/users/{user_id}",
    "DELETE /api/staff/sessions/{session_id}",
    "POST /api/staff/logout",
)


def _sign_in(srv: LiveServer, seed: Seed, username: str = "admin1") -> tuple[str, str]:
    account = seed[username]
    r = httpx.post(
        f"{srv.url}/api/staff/login",
        json={"username": account.username, "password": PASSWORD, "otp": account.otp()},
        headers={"origin": srv.origin},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.cookies["chat_session"], str(r.json()["csrf_token"])


def _patient(srv: LiveServer) -> tuple[str, str]:
    """A queued contact: its id and the patient token."""
    r = httpx.post(f"{srv.url}/api/contacts", json=intake_body(), timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["contact_id"]), str(r.json()["patient_token"])


def _order(label: str) -> tuple[int, str]:
    return (LAST.index(label) + 1 if label in LAST else 0, label)


def _fuzz(
    op: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    calls: dict[str, int],
    statuses: Counter[int],
    failures: list[str],
    ids: dict[str, str] | None = None,
) -> Any:
    """A Hypothesis test of one operation that counts its calls and collects
    every failed check (rather than stopping and shrinking the first).
    ``ids``: path parameters set to rows that exist (a directed pass)."""
    label = "directed " if ids else ""

    @given(case=op.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        calls[f"{label}{mode.value} {op.label}"] += 1
        for name, value in (ids or {}).items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value  # an existing row instead of a random id
        try:
            response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
            statuses[response.status_code] += 1
            if os.environ.get("CONTRACT_FUZZ_DEBUG"):
                print(label, mode.value, op.label, response.status_code, response.text[:80])
        except (FailureGroup, Exception) as exc:  # failed checks, or a transport error
            failures.append(f"{label}{mode.value} {op.label}: {exc}"[:2000])

    return run


def _a_wrong_document_is_caught(base_url: str) -> list[str]:
    """The same checks on a document that lies about /livez (a field it never
    sends is required): the run must report it, or the checks check nothing."""
    doc = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    doc["components"]["schemas"]["Alive"]["required"].append("uptime_s")
    doc["paths"] = {"/livez": doc["paths"]["/livez"]}
    schema = schemathesis.openapi.from_dict(doc)
    op = next(r.ok() for r in schema.get_all_operations())
    calls: dict[str, int] = {f"positive {op.label}": 0}
    failures: list[str] = []
    _fuzz(op, GenerationMode.POSITIVE, base_url, {}, calls, Counter(), failures)()
    return sorted({f.split(":", 1)[0] for f in failures})


def _headers(srv: LiveServer, seed: Seed, username: str, token: str) -> dict[str, str]:
    """A session of ``username`` (a TOTP code signs in once) and the patient's token."""
    cookie, csrf = _sign_in(srv, seed, username)
    return {
        "Cookie": f"chat_session={cookie}",
        "X-CSRF-Token": csrf,
        "Origin": srv.origin,
        "Authorization": f"Bearer {token}",
    }


def test_every_operation_holds_to_its_document(settings: Settings, seed: Seed) -> None:
    """Generated requests to every operation get documented answers only."""
    env = {
        "CHATSERVER_INTAKE_RATE_LIMIT": "100000/minute",
        "CHATSERVER_LOGIN_FAILURE_RATE_LIMIT": "100000/minute",
    }
    with LiveServer(settings.data_dir, env=env) as srv:
        contact_id, token = _patient(srv)
        schema = schemathesis.openapi.from_url(f"{srv.url}/openapi.json")
        operations = sorted(
            (r.ok() for r in schema.get_all_operations()), key=lambda op: _order(op.label)
        )
        calls: dict[str, int] = {}
        failures: list[str] = []
        statuses: Counter[int] = Counter()
        started = time.monotonic()
        # Negative first: invalid parameters and bodies, as the admin.
        admin = _headers(srv, seed, "admin1", token)
        for op in operations:
            if op.label in LAST:
                continue  # negative security headers would sign the admin out
            calls[f"negative {op.label}"] = 0
            try:
                _fuzz(op, GenerationMode.NEGATIVE, srv.url, admin, calls, statuses, failures)()
            except Unsatisfiable:  # nothing to make invalid: no parameters, no body
                del calls[f"negative {op.label}"]
        # Directed: the path ids of rows that exist, as the role the route is
        # for (a nurse for clinical routes), so that the answers of found rows
        # are fuzzed too, not only 404s.
        nurse = _headers(srv, seed, "nurse1", token)
        ids = {
            "unit_id": "hc1",
            "contact_id": contact_id,
            "queue_id": "hc1:nurse",
            "user_id": str(seed["nurse2"].id),
        }
        for op in operations:
            if not set(ids) & {p.name for p in op.path_parameters}:
                continue
            who = nurse if "nurse" in op.definition.raw.get("x-roles", []) else admin
            calls[f"directed positive {op.label}"] = 0
            _fuzz(op, GenerationMode.POSITIVE, srv.url, who, calls, statuses, failures, ids)()
        # Positive last: its LAST operations sign the admin out.
        for op in operations:
            calls[f"positive {op.label}"] = 0
            _fuzz(op, GenerationMode.POSITIVE, srv.url, admin, calls, statuses, failures)()
        elapsed = time.monotonic() - started
        total = sum(calls.values())
        negative = sum(n for k, n in calls.items() if k.startswith("negative"))
        directed = sum(n for k, n in calls.items() if k.startswith("directed"))
        print(
            f"\nschemathesis: {len(operations)} operations, {total} requests"
            f" ({negative} negative, {directed} directed), {elapsed:.1f} s"
        )
        print("statuses:", dict(sorted(statuses.items())))
        caught = _a_wrong_document_is_caught(srv.url)
    assert caught == ["positive GET /livez"]
    assert {
        "positive GET /livez",
        "negative POST /api/contacts",
        "directed positive GET /api/units/{unit_id}/canned",
    } <= set(calls)
    assert all(n > 0 for n in calls.values()), calls
    assert not failures, "\n\n".join(failures[:20])
