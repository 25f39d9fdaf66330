"""Checks on what people type, shared by every way into the catalog (GraphQL, import)."""

from __future__ import annotations

import unicodedata

from graph_api.errors import ValidationError

MAX_NAME = 255
MAX_DESCRIPTION = 20_000
MAX_TAGS = 50
MAX_TAG = 64
MAX_DATA_TYPE = 128
MAX_GENERATED = 4000
MAX_SEARCH_TEXT = 1000


def name(value: str, *, field: str, what: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError(f"The {what} cannot be empty; type a name.", field=field)
    if len(cleaned) > MAX_NAME:
        raise ValidationError(
            f"The {what} is {len(cleaned)} characters long; the limit is {MAX_NAME}.",
            field=field,
        )
    if reason := hidden_characters(cleaned):
        raise ValidationError(f"The {what} {cleaned!r} {reason}.", field=field)
    return cleaned


# Characters a name may not hold: controls (line breaks, tabs, NUL, escapes), invisible format
# characters (zero-width spaces and joiners, the byte-order mark, soft hyphens, right-to-left
# and other direction overrides), line and paragraph separators, surrogates, private-use and
# unassigned code points. Such names look like others, reorder text around them, and the XLSX
# export strips the control characters, so a round trip would change the name.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_HIDDEN_NAMES = {"\r": "a line break", "\n": "a line break", "\t": "a tab", "\x00": "a NUL"}


def hidden_characters(text: str) -> str | None:
    """Why a name or tag cannot be kept as typed ("contains a tab, which ..."), or None.
    The one rule for every way in: the API, and imports (interchange/format.py)."""
    for ch in text:
        if unicodedata.category(ch) in _HIDDEN_CATEGORIES:
            found = _HIDDEN_NAMES.get(ch) or f"the invisible character U+{ord(ch):04X}" + (
                f" ({unicodedata.name(ch).lower()})" if unicodedata.name(ch, "") else ""
            )
            return (
                f"contains {found}; names and tags cannot hold control or invisible "
                "characters (they make one name look like another, and an export to Excel "
                "drops them): remove it"
            )
    return None


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
        if reason := hidden_characters(tag):
            raise ValidationError(f"The tag {tag!r} {reason}.", field=f"{field}[{index}]")
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


def generated(value: str | None, *, field: str) -> str | None:
    """How the database fills a column ("IDENTITY ALWAYS", "STORED AS (a + b)"): free text
    as a connector reads it, bounded like a comment."""
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > MAX_GENERATED:
        raise ValidationError(
            f"The generation expression is longer than {MAX_GENERATED} characters; shorten it.",
            field=field,
        )
    return cleaned


def ordinal(value: int | None, *, field: str) -> int | None:
    if value is not None and value < 1:
        raise ValidationError(
            f"The ordinal position must be 1 or more (1 is the first column), got {value}.",
            field=field,
        )
    return value


def search_text(value: str, *, field: str) -> str:
    """Search text within bounds: no name is longer than MAX_NAME, so neither is a word worth
    searching for (and the full-text index refuses very long ones)."""
    if len(value) > MAX_SEARCH_TEXT:
        raise ValidationError(
            f"The search text is {len(value):,} characters long; the limit is "
            f"{MAX_SEARCH_TEXT:,}. Search for a few words of the name or description.",
            field=field,
        )
    longest = max(value.split(), key=len, default="")
    if len(longest) > MAX_NAME:
        raise ValidationError(
            f"The search word '{longest[:20]}…' is {len(longest):,} characters long; no name "
            f"is longer than {MAX_NAME}. Search for a shorter word.",
            field=field,
        )
    return value
