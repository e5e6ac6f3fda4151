"""What a start costs before "Listening": no password hashing at import (the
dummy hash of unknown-user sign-ins is a constant), and the constant keeps the
hasher's parameters, so an unknown user still costs one full verification."""

from __future__ import annotations

import time

from chatserver.access import passwords


def test_dummy_hash_has_the_profile_parameters() -> None:
    assert passwords._DUMMY_HASH.startswith("$argon2id$")
    assert not passwords.needs_rehash(passwords._DUMMY_HASH)


def test_unknown_user_costs_a_verification() -> None:
    """verify_password(None, ...) is False and takes about as long as a real
    mismatch (same parameters, so same work)."""
    real = passwords.hash_password("a-long-password-4711")
    t0 = time.perf_counter()
    assert passwords.verify_password(real, "wrong-password") is False
    mismatch = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert passwords.verify_password(None, "wrong-password") is False
    unknown = time.perf_counter() - t0
    assert unknown > mismatch / 4
