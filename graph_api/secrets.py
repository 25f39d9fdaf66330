"""Encryption of stored credentials (passwords, API keys, URIs) with Fernet.

Keys come from the environment (CLEW_SECRET_KEYS, comma-separated, newest first, or a file
named by CLEW_SECRET_KEYS_FILE with one key per line). Several keys at once let operators
rotate: new secrets are encrypted with the first key, any listed key decrypts, and
`clew keys rotate` re-encrypts everything under the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretKeyError(RuntimeError):
    """No usable key is configured; the message says how to configure one."""


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


HOW_TO_CONFIGURE = (
    "Set CLEW_SECRET_KEYS to one or more Fernet keys (comma-separated, newest first), or "
    "CLEW_SECRET_KEYS_FILE to a file with one key per line. Make one with `clew keys generate`."
)


def generate_key() -> str:
    return Fernet.generate_key().decode()


def keys_from_env(env: Mapping[str, str]) -> list[str]:
    raw = env.get("CLEW_SECRET_KEYS", "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    path = env.get("CLEW_SECRET_KEYS_FILE")
    if path:
        file = Path(path)
        if not file.is_file():
            raise SecretKeyError(f"CLEW_SECRET_KEYS_FILE names {file}, which does not exist.")
        keys += [
            line.strip()
            for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
    return keys


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SecretKeyError(
                "No encryption key is configured for stored credentials. " + HOW_TO_CONFIGURE
            )
        fernets = []
        for index, key in enumerate(keys):
            try:
                fernets.append(Fernet(key.encode()))
            except (ValueError, TypeError):
                raise SecretKeyError(
                    f"Encryption key number {index + 1} is not a valid Fernet key (32 url-safe "
                    "base64-encoded bytes). " + HOW_TO_CONFIGURE
                ) from None
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretDecryptionError() from None

    def rotate(self, token: str) -> str:
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretDecryptionError() from None
