"""The error envelope every HTTP error answers with, and which codes an
operation can answer besides its own (from who may call it and how).

``{"error": {"code", "message", "fields"?, ...}}`` is built by
:meth:`chatserver.errors.ChatError.http_body` and the app's exception
handlers; :class:`ErrorDetail` is its schema. Some codes add fields of their
own (``retry_after_s``, ``alternatives``, ``score``, ...): the model allows them.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from chatserver.contract.spec import Auth, Body, Operation

__all__ = ["ErrorDetail", "ErrorEnvelope", "error_codes"]


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorDetail


# Every staff route: no session, or a session that must first change its
# password or enrol a second factor (chatserver/http/staff.py current_session).
_STAFF: Mapping[int, tuple[str, ...]] = {
    401: ("not_authenticated",),
    403: ("password_change_required", "totp_enrolment_required"),
}
# A change: the X-CSRF-Token header and a same-site Origin (check_csrf).
_CHANGE: Mapping[int, tuple[str, ...]] = {403: ("csrf_failed", "origin_refused")}
_ADMIN: Mapping[int, tuple[str, ...]] = {403: ("forbidden",)}
_PATIENT: Mapping[int, tuple[str, ...]] = {401: ("not_authenticated",)}

BY_AUTH: Mapping[Auth, tuple[Mapping[int, tuple[str, ...]], ...]] = {
    "anyone": (),
    "patient_token": (_PATIENT,),
    "patient_session": (_PATIENT,),
    "staff": (_STAFF,),
    "staff_change": (_STAFF, _CHANGE),
    "admin": (_STAFF, _ADMIN),
    "admin_change": (_STAFF, _CHANGE, _ADMIN),
    "patient_or_staff": (_PATIENT, _STAFF),
    "patient_or_staff_change": (_PATIENT, _STAFF, _CHANGE),
}

# Any route: a NUL in the path or query string (http/nul_guard.py), and a
# database that cannot take a write (app.py, 503 with Retry-After).
_ANY: Mapping[int, tuple[str, ...]] = {422: ("invalid_field",), 503: ("storage_unavailable",)}
# A JSON body (http/util.py read_json_object and the models' parse).
_JSON_BODY: Mapping[int, tuple[str, ...]] = {
    413: ("body_too_large",),
    422: ("invalid_json", "invalid_body", "invalid_field"),
}


def error_codes(op: Operation) -> dict[int, tuple[str, ...]]:
    """Every error status ``op`` can answer, each with its codes (sorted)."""
    parts: list[Mapping[int, tuple[str, ...]]] = [_ANY, *BY_AUTH[op.auth], op.errors]
    if op.body is not None and not isinstance(op.body, Body):
        parts.append(_JSON_BODY)
    out: dict[int, set[str]] = {}
    for part in parts:
        for status, codes in part.items():
            out.setdefault(status, set()).update(codes)
    return {status: tuple(sorted(out[status])) for status in sorted(out)}
