"""Notifications while away: Web Push and the "your turn" SMS.

A feature module (``FEATURE_MODULES`` in chatserver/app.py; docs/protocol.md
"Notifications while away"). It fills ``hooks.contact_notice`` with the
:class:`Notifier`, so the flow never imports a sender.

- :mod:`.rules` who is told what and when (pure), and the payload
- :mod:`.allowlist` the push endpoints the service may POST to (SSRF guard, pure)
- :mod:`.subscription` a browser's ``PushSubscription``, checked (pure)
- :mod:`.vapid` the service's VAPID key; :mod:`.webpush` one encrypted push
- :mod:`.sms` the patient's mobile number and the SMS gateway
- :mod:`.service` the notifier: a bounded queue and its workers
- :mod:`.routes` ``GET /api/push/key``, ``POST /api/push/subscriptions``;
  :mod:`.intake_phone` the optional ``phone`` of an intake
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from chatserver.notify import routes as push_routes
from chatserver.notify.allowlist import DEFAULT_PUSH_HOSTS, PushAllowlist
from chatserver.notify.intake_phone import IntakePhone
from chatserver.notify.service import Notifier, PushTuning
from chatserver.notify.sms import SmsGateway
from chatserver.notify.vapid import VapidKey, load_vapid
from chatserver.settings import Settings

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["Notifier", "PushAllowlist", "VapidKey", "attach", "routes", "sms_gateway"]


def sms_gateway(settings: Settings) -> SmsGateway | None:
    """The configured gateway, or None (SMS off)."""
    if not settings.sms_gateway_url:
        return None
    password = settings.sms_gateway_password
    return SmsGateway(
        url=settings.sms_gateway_url,
        user=settings.sms_gateway_user,
        password=password.get_secret_value() if password else "",
        sender=settings.sms_gateway_from,
    )


def attach(state: AppState) -> None:
    settings = state.settings
    allow = PushAllowlist.parse(settings.push_allowed_hosts or DEFAULT_PUSH_HOSTS)
    vapid = load_vapid(settings.data_dir, settings.vapid_private_key, settings.vapid_subject)
    notifier = Notifier(
        state.storage,
        state.presence,
        state.hub,
        state.sessions,
        state.clock,
        vapid,
        PushTuning(settings.push_concurrency, settings.push_timeout_s, settings.public_url),
        sms_gateway(settings),
        state.metrics.registry,
    )
    state.extensions.put(allow)
    state.extensions.put(vapid)
    state.extensions.put(notifier)
    state.hooks.contact_notice = notifier
    state.on_start.append(notifier.start)
    state.on_stop.append(notifier.stop)
    if notifier.sms is not None:
        state.hooks.intake_extras = IntakePhone(state.storage, state.clock)


def routes() -> list[BaseRoute]:
    return push_routes.routes()
