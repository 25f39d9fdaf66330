"""Opaque keyset cursors: base64 of the sort key of the last row a client saw."""

from __future__ import annotations

import base64
import binascii
import json

from graph_api.errors import ValidationError


def encode_cursor(*key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, size: int = 2) -> tuple[str, ...] | tuple[None, ...]:
    if cursor is None:
        return (None,) * size
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != size or not all(isinstance(k, str) for k in key):
        raise ValidationError(
            "The cursor in 'after' is not one this service gave out; pass the endCursor "
            "of a previous page, or leave 'after' out to start from the beginning.",
            field="after",
        )
    return tuple(key)


def check_page_size(first: int, *, maximum: int) -> int:
    if not 1 <= first <= maximum:
        raise ValidationError(
            f"'first' must be between 1 and {maximum}, got {first}; ask for fewer rows and "
            "follow pageInfo.endCursor for the rest.",
            field="first",
        )
    return first
