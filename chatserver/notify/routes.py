"""``GET /api/push/key`` and ``POST /api/push/subscriptions`` (docs/protocol.md
"Notifications while away").

A subscription is bound to its owner: with ``Authorization: Bearer
<patient_token>`` to that patient's open contact, otherwise to the signed-in
staff member's session (cookie and ``X-CSRF-Token``). The token is never read
from the URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from chatserver.access.sessions import hash_secret
from chatserver.contract.spec import ANYONE, PATIENT_OR_STAFF_CHANGE, Operation, Reply, operation
from chatserver.core.patient_access import token_expired
from chatserver.errors import StateConflict, Unauthenticated
from chatserver.http.pages import WEBCLIENT_DIR
from chatserver.http.staff import staff_session_for_change
from chatserver.http.util import json_response, read_json
from chatserver.notify.allowlist import MAX_ENDPOINT_CHARS, PushAllowlist
from chatserver.notify.subscription import parse_subscription
from chatserver.notify.vapid import VapidKey
from chatserver.storage import reach

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["routes"]

# Tokens are token_urlsafe(32) (43 chars); anything far longer is not ours.
MAX_TOKEN_CHARS = 256


class PushKeyOut(BaseModel):
    public_key: str


class PushKeysIn(BaseModel):
    p256dh: Annotated[str, Field(max_length=200)]
    auth: Annotated[str, Field(max_length=200)]


class SubscriptionBody(BaseModel):
    """A browser's ``PushSubscription.toJSON()`` (other members are ignored)."""

    endpoint: Annotated[str, Field(max_length=MAX_ENDPOINT_CHARS)]
    keys: PushKeysIn


class Subscribed(BaseModel):
    status: str


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


@operation(
    Operation(
        "The service's VAPID public key (base64url)", ANYONE, "notifications", {200: PushKeyOut}
    )
)
async def push_key(request: Request) -> Response:
    state = _state(request)
    return json_response({"public_key": state.extensions.get(VapidKey).public_key})


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth is None:
        return None
    if auth[:7].lower() != "bearer " or not auth[7:].strip() or len(auth) > MAX_TOKEN_CHARS:
        raise Unauthenticated("not_authenticated", "the chat's token is missing or wrong")
    return auth[7:].strip()


@operation(
    Operation(
        "Subscribe this browser to notifications while away",
        PATIENT_OR_STAFF_CHANGE,
        "notifications",
        {201: Subscribed},
        errors={
            403: ("csrf_failed", "origin_refused"),
            409: ("contact_closed",),
            422: ("push_endpoint_not_allowed",),
        },
        body=SubscriptionBody,
        description=(
            "Patient: `Authorization: Bearer <patient_token>`, bound to that open contact."
            " Staff (no Authorization header): session cookie and `X-CSRF-Token`, bound"
            " to the session."
        ),
    )
)
async def subscribe(request: Request) -> Response:
    state = _state(request)
    token = _bearer(request)
    if token is None:
        active = await staff_session_for_change(request)
        keys = parse_subscription(await read_json(request), state.extensions.get(PushAllowlist))
        sub = reach.Subscription(
            keys.endpoint,
            keys.p256dh,
            keys.auth,
            user_id=active.user.id,
            session_hash=active.session.id_hash,
        )
    else:
        contact = await state.storage.get_contact_by_token_hash(hash_secret(token))
        if contact is None or token_expired(
            contact, state.clock(), state.settings.patient_token_after_close_s
        ):
            raise Unauthenticated("not_authenticated", "the chat's token is missing or wrong")
        if contact.status == "closed":
            raise StateConflict("contact_closed", "the chat is closed")
        keys = parse_subscription(await read_json(request), state.extensions.get(PushAllowlist))
        sub = reach.Subscription(keys.endpoint, keys.p256dh, keys.auth, contact_id=contact.id)
    await state.storage.write(reach.put_subscription(sub, state.clock()))
    return json_response({"status": "subscribed"}, 201)


@operation(
    Operation(
        "The service worker (root scope) that shows notifications",
        ANYONE,
        "pages",
        {200: Reply(None, "text/javascript")},
        extension=True,
    )
)
async def service_worker(request: Request) -> Response:
    # At the root so that its scope covers both / and /staff (a worker's scope is
    # at most the folder it is served from).
    return FileResponse(WEBCLIENT_DIR / "sw.js", media_type="text/javascript; charset=utf-8")


def routes() -> list[BaseRoute]:
    return [
        Route("/sw.js", service_worker, methods=["GET"]),
        Route("/api/push/key", push_key, methods=["GET"]),
        Route("/api/push/subscriptions", subscribe, methods=["POST"]),
    ]
