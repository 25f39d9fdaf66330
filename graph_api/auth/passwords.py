"""Password hashing with Argon2id (memory-hard), and generated passwords."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults follow RFC 9106's second recommendation (64 MiB, 3 passes).
_HASHER = PasswordHasher()
# Verifying against this when a username is unknown keeps both paths equally slow, so
# response times do not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

MIN_LENGTH = 12
MAX_LENGTH = 1024


class WeakPasswordError(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(
            f"Passwords need at least {MIN_LENGTH} characters; a phrase of a few words works well."
        )
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"Passwords can be at most {MAX_LENGTH:,} characters long.")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def generate_password() -> str:
    return secrets.token_urlsafe(18)
