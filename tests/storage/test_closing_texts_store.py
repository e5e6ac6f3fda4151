"""The closing texts store (migration 0019) on both engines: defaults, own
texts per unit and outcome, overwrite, reset."""

from __future__ import annotations

from chatserver.admin.closing_texts import DEFAULTS, ClosingTextStore
from chatserver.core.lifecycle import OUTCOME_ORDER
from chatserver.storage import Storage

from .factories import T0, Seed


async def test_closing_texts_per_unit_and_outcome(storage: Storage, seeded: Seed) -> None:
    """A unit's own text replaces the default for that outcome only and that unit only;
    a second set overwrites; reset goes back to the default (True once, then False)."""
    store = ClosingTextStore(storage)
    before = await store.of_unit("u1")
    assert [(t.outcome, t.sv, t.en, t.custom) for t in before] == [
        (o, *DEFAULTS[o], False) for o in OUTCOME_ORDER
    ]
    await store.set("u1", "phone_callback", "Vi ringer.", "We call.", at=T0, by=seeded.alice.id)
    await store.set("u1", "phone_callback", "Vi ringer snart.", "We call soon.", at=T0 + 1, by=None)
    own = await store.text("u1", "phone_callback")
    assert (own.sv, own.en, own.custom) == ("Vi ringer snart.", "We call soon.", True)
    assert (await store.text("u2", "phone_callback")).custom is False
    listed = {t.outcome: t.custom for t in await store.of_unit("u1")}
    assert [o for o, custom in listed.items() if custom] == ["phone_callback"]
    assert await store.reset("u1", "phone_callback") is True
    assert await store.reset("u1", "phone_callback") is False
    assert (await store.text("u1", "phone_callback")).sv == DEFAULTS["phone_callback"][0]
