"""Staff passwords: argon2id via argon2-cffi.

Parameters are argon2-cffi's RFC 9106 "low memory" profile (argon2id, t=3,
m=64 MiB, p=4, 16-byte salt, 32-byte hash): about 190 ms of CPU per
verification here (0.1-0.2 s on two idle cores, 0.4 s on a loaded machine),
which bounds an online guessing rate while keeping login acceptable. When the
parameters change, a successful login re-hashes (``needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
# A hash of a random password (forgotten), verified against when the user does
# not exist so that unknown users and wrong passwords take the same time. A
# constant with the profile's parameters (tests/newcomer/test_start_cost.py checks
# them), not hashed at import: that cost every process start ~0.2-0.9 s of CPU.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$disqh/JROdEvtmy6H0+lSA"
    "$QTHXo0oKSVrZ43Gq9vd+aso3JvLqjlIh+Derj4WexJA"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-shape check: always runs one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
