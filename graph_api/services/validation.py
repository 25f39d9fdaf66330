"""Checks on what people type, shared by every way into the catalog (GraphQL, import)."""

from __future__ import annotations

from graph_api.errors import ValidationError

MAX_NAME = 255
MAX_DESCRIPTION = 20_000
MAX_TAGS = 50
MAX_TAG = 64
MAX_DATA_TYPE = 128


def name(value: str, *, field: str, what: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError(f"The {what} cannot be empty; type a name.", field=field)
    if len(cleaned) > MAX_NAME:
        raise ValidationError(
            f"The {what} is {len(cleaned)} characters long; the limit is {MAX_NAME}.",
            field=field,
        )
    if any(ch in cleaned for ch in "\r\n\t\x00"):
        raise ValidationError(
            f"The {what} {cleaned!r} contains a line break, tab or NUL; remove it.", field=field
        )
    return cleaned


def optional_name(value: str | None, *, field: str, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    return name(value, field=field, what=what)


def description(value: str | None, *, field: str) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_DESCRIPTION:
        raise ValidationError(
            f"The description is {len(value)} characters long; the limit is "
            f"{MAX_DESCRIPTION}. Shorten it or link to a longer document.",
            field=field,
        )
    return value.strip() or None


def tags(values: list[str] | None, *, field: str) -> list[str]:
    if not values:
        return []
    seen: dict[str, None] = {}
    for index, raw in enumerate(values):
        tag = raw.strip()
        if not tag:
            raise ValidationError(
                f"Tag {index + 1} is empty; remove it.", field=f"{field}[{index}]"
            )
        if len(tag) > MAX_TAG:
            raise ValidationError(
                f"The tag '{tag[:20]}…' is longer than {MAX_TAG} characters; shorten it.",
                field=f"{field}[{index}]",
            )
        seen.setdefault(tag, None)
    if len(seen) > MAX_TAGS:
        raise ValidationError(
            f"{len(seen)} tags given; at most {MAX_TAGS} are allowed.", field=field
        )
    return list(seen)


def data_type(value: str | None, *, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > MAX_DATA_TYPE:
        raise ValidationError(
            f"The data type is longer than {MAX_DATA_TYPE} characters; shorten it.", field=field
        )
    return cleaned


def ordinal(value: int | None, *, field: str) -> int | None:
    if value is not None and value < 1:
        raise ValidationError(
            f"The ordinal position must be 1 or more (1 is the first column), got {value}.",
            field=field,
        )
    return value
