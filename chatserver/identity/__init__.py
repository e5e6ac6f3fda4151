"""Patient and staff identification with e-legitimation (OpenID Connect).

A feature module (``FEATURE_MODULES`` in chatserver/app.py): with
``CHATSERVER_PATIENT_OIDC_*`` and/or ``CHATSERVER_STAFF_OIDC_*`` set, the
service is a relying party of those issuers (docs/identity.md).

- :mod:`.oidc` the relying party (discovery, JWKS, PKCE, ID token checks)
- :mod:`.signin` the two steps of a sign-in; :mod:`.login_store` their tables
- :mod:`.sessions` identified patients' sessions and :func:`patient_of`
- :mod:`.routes` the HTTP routes; :mod:`.return_to` where a sign-in may lead
- :mod:`.personnummer`, :mod:`.store` the identity data of contacts
- :mod:`.staff_view` what staff see of an identified patient (``hooks.identities``,
  ``GET /api/contacts/{id}/identity``)
- :mod:`.patient_api` the identified patient's intake binding (per unit), contacts
  and access log; :mod:`.method` which e-legitimation a sign-in used
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from chatserver.identity import patient_api, staff_view
from chatserver.identity import routes as signin_routes
from chatserver.identity.oidc import Provider, RelyingParty, Side
from chatserver.identity.routes import IdentityProviders
from chatserver.identity.sessions import PatientSession, PatientSessions, patient_of
from chatserver.settings import Settings

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = [
    "IdentityProviders",
    "PatientSession",
    "PatientSessions",
    "attach",
    "patient_of",
    "providers_from",
    "routes",
]


def _provider(settings: Settings, side: Side) -> Provider | None:
    issuer = getattr(settings, f"{side}_oidc_issuer")
    if not issuer:
        return None
    client_id = getattr(settings, f"{side}_oidc_client_id")
    secret = getattr(settings, f"{side}_oidc_client_secret")
    prefix = f"CHATSERVER_{side.upper()}_OIDC"
    if not client_id or secret is None or not settings.public_url:
        raise ValueError(
            f"{prefix}_ISSUER is set: {prefix}_CLIENT_ID, {prefix}_CLIENT_SECRET"
            " and CHATSERVER_PUBLIC_URL are needed too"
        )
    return Provider(
        side=side,
        issuer=issuer,
        client_id=client_id,
        client_secret=secret.get_secret_value(),
        redirect_uri=f"{settings.public_url}/auth/{side}/callback",
    )


def providers_from(state: AppState) -> IdentityProviders:
    """The relying parties the settings ask for (ValueError if half configured)."""
    found: dict[str, RelyingParty | None] = {}
    for side in ("patient", "staff"):
        provider = _provider(state.settings, side)
        found[side] = None if provider is None else RelyingParty(provider, state.clock)
    return IdentityProviders(found["patient"], found["staff"])


def attach(state: AppState) -> None:
    providers = providers_from(state)
    if state.settings.patient_identification == "required" and "patient" not in providers.by_side:
        raise ValueError(
            "CHATSERVER_PATIENT_IDENTIFICATION=required needs CHATSERVER_PATIENT_OIDC_ISSUER"
        )
    state.extensions.put(providers)
    state.extensions.put(PatientSessions(state.storage, state.settings, state.clock))
    if "patient" in providers.by_side:
        # Staff see who identified contacts are (docs/identity.md, "What staff see").
        state.hooks.identities = staff_view.StoredIdentities(state.storage, state.clock)
        state.hooks.intake_identity = patient_api.PatientIdentification(
            state.settings.patient_identification
        )
    else:
        state.on_start.append(lambda: _no_unit_requires_identification(state))


async def _no_unit_requires_identification(state: AppState) -> None:
    """At start, without a patient issuer: a unit set to ``required`` (``chatserver
    unit set-identification``) could take no patient, so the service does not start."""
    units = [u.id for u in await state.storage.list_units() if u.identification == "required"]
    if units:
        raise ValueError(
            f"units {', '.join(units)} require patient identification: set"
            " CHATSERVER_PATIENT_OIDC_ISSUER or run"
            " `chatserver unit set-identification UNIT default`"
        )


def routes() -> list[BaseRoute]:
    return [*signin_routes.routes(), *patient_api.routes(), *staff_view.routes()]
