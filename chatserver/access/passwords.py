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
# A hash of a random password, verified against when the user does not exist so
# that unknown users and wrong passwords take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0f3a9c")


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
