"""The optional ``phone`` of ``POST /api/contacts`` (``hooks.intake_extras``).

With an SMS gateway configured, a ``phone`` in the intake body is checked
(:func:`~chatserver.notify.sms.normalise_mobile`: 422 ``invalid_field`` naming
``phone`` before anything is stored) and kept for the queued contact until it
is closed. Without a gateway the field is not offered and is ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chatserver.hooks import BindContact
from chatserver.notify.sms import normalise_mobile
from chatserver.storage import reach
from chatserver.storage.plan import Database

__all__ = ["IntakePhone"]


class IntakePhone:
    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock

    def __call__(self, data: Mapping[str, Any]) -> BindContact | None:
        raw = data.get("phone")
        if raw is None or raw == "":
            return None
        phone = normalise_mobile(raw)

        async def keep(contact_id: str) -> None:
            await self.db.write(reach.put_phone(contact_id, phone, self.clock()))

        return keep
