"""Opaque keyset cursors: base64 of the sort key of the last row a client saw."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

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
            field="page.after",
        )
    return tuple(key)


def decode_time_cursor(cursor: str | None) -> tuple[str, str] | tuple[None, None]:
    """A cursor whose sort key is (ISO timestamp, id), checked before it reaches Cypher."""
    at, entity_id = decode_cursor(cursor)
    if at is None or entity_id is None:
        return None, None
    try:
        datetime.fromisoformat(at)
    except ValueError:
        raise ValidationError(
            "The cursor in 'after' belongs to another list; pass the endCursor of a previous "
            "page of this one, or leave 'after' out to start from the beginning.",
            field="page.after",
        ) from None
    return at, entity_id


def check_page_size(first: int, *, maximum: int, argument: str = "first") -> int:
    if not 1 <= first <= maximum:
        raise ValidationError(
            f"'{argument}' must be between 1 and {maximum}, got {first}; ask for fewer rows"
            + (" and follow pageInfo.endCursor for the rest." if argument == "first" else "."),
            field=argument,
        )
    return first
