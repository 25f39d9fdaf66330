"""Bearer tokens: short-lived signed sign-in tokens (JWT, HS256) and long-lived API tokens.

API tokens are random and shown once; only their SHA-256 is stored (they carry 256 bits of
entropy, so a fast hash is enough, unlike passwords). The prefix tells the two kinds apart.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

API_TOKEN_PREFIX = "clew_"
_ISSUER = "clew"
_ALGORITHM = "HS256"


class InvalidTokenError(Exception):
    """The token is malformed, forged or expired; the message says which, for the user."""


def derive_signing_key(secret_key: str) -> bytes:
    """A signing key of its own, derived from the configured encryption key, so a leaked
    token key never decrypts stored credentials (and vice versa)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"clew sign-in tokens"
    ).derive(secret_key.encode())


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue_sign_in_token(*, key: bytes, user_id: str, ttl: timedelta) -> IssuedToken:
    now = datetime.now(UTC)
    expires = now + ttl
    # `iat` is whole seconds (RFC 7519); `iat_ms` lets a sign-out refuse a token issued in
    # the same second before it.
    claims = {
        "iss": _ISSUER,
        "sub": user_id,
        "iat": now,
        "iat_ms": int(now.timestamp() * 1000),
        "exp": expires,
    }
    return IssuedToken(token=jwt.encode(claims, key, algorithm=_ALGORITHM), expires_at=expires)


def read_sign_in_token(token: str, *, key: bytes) -> tuple[str, int]:
    """The user id a valid sign-in token names, and when it was issued (Unix milliseconds;
    a token from before `iat_ms` existed counts as issued at the start of its second)."""
    user_id, issued_ms, expires = _verified(token, key)
    if expires <= time.time():
        raise InvalidTokenError("Your sign-in has expired; sign in again.")
    return user_id, issued_ms


# A client sends the same token with every request: its signature is checked once (a third
# of a millisecond), its expiry every time. Only valid tokens are kept (an exception is not
# cached), so forged ones cannot crowd them out.
@functools.lru_cache(maxsize=4096)
def _verified(token: str, key: bytes) -> tuple[str, int, float]:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("Your sign-in has expired; sign in again.") from None
    except jwt.PyJWTError:
        raise InvalidTokenError(
            "The bearer token is not valid here; sign in again to get a new one."
        ) from None
    issued_ms = claims.get("iat_ms")
    if not isinstance(issued_ms, int):
        issued_ms = int(claims["iat"]) * 1000
    return str(claims["sub"]), issued_ms, float(claims["exp"])


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_api_token(token: str) -> bool:
    return token.startswith(API_TOKEN_PREFIX)


def api_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
