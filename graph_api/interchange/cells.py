"""How a cell becomes a value, and a value a cell: types, formula neutralisation, shown text."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from graph_api import input_rules as check
from graph_api.interchange.format import (
    MAX_ID,
    SPREADSHEET_ENCODINGS,
    TAG_SEPARATOR,
    Column,
    Encoding,
    Kind,
    suggest,
)

# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")


def neutralise(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with an apostrophe. Text that already
    starts with apostrophes before such a character gets one more, so `restore` is exact."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return value[1:]
    return value


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message is a plain sentence that
    fits after "Row N of 'section', column 'c': "."""

    def __init__(self, message: str, *, code: str = "WRONG_TYPE", suggestion: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.suggestion = suggestion


_TRUE = {"true", "yes", "y", "1", "t", "x", "✓"}
_FALSE = {"false", "no", "n", "0", "f"}
_ID = re.compile(r"^[^\s'\"\\]+$")


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def shown(raw: Any, limit: int = 80) -> str:
    """A cell value as a person would recognise it in a message."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_cell(column: Column, raw: Any) -> Any:
    """The value of a non-empty cell, or CellError. Strings arrive already restored from
    formula neutralisation."""
    kind = column.kind
    if kind is Kind.TAGS:
        return _tags(raw)
    if isinstance(raw, list | dict):
        raise CellError(
            f"expected a single value, found a {'list' if isinstance(raw, list) else 'map'}"
        )
    if kind in (Kind.NAME, Kind.OPTIONAL_NAME):
        text = _text(raw).strip()
        if len(text) > check.MAX_NAME:
            raise CellError(
                f"the name is {len(text)} characters long; the limit is {check.MAX_NAME}",
                code="INVALID_VALUE",
            )
        if reason := check.hidden_characters(text):
            raise CellError(f"the name {shown(text)!r} {reason}", code="INVALID_VALUE")
        return text
    if kind is Kind.ID:
        text = _text(raw).strip()
        if len(text) > MAX_ID or not _ID.match(text):
            raise CellError(
                f"'{shown(text)}' is not an id: ids have no spaces or quotes and at most "
                f"{MAX_ID} characters; leave the cell empty for something new",
                code="INVALID_VALUE",
            )
        return text
    if kind is Kind.TEXT:
        text = _text(raw)
        limit = column.max_length
        if limit is not None and len(text) > limit:
            raise CellError(
                f"the text is {len(text)} characters long; the limit is {limit}",
                code="INVALID_VALUE",
            )
        return text.strip() or None
    if kind is Kind.ENUM:
        assert column.enum is not None
        text = _text(raw).strip()
        for member in column.enum:
            if member.value == text.upper().replace(" ", "_"):
                return member
        allowed = ", ".join(column.allowed)
        guess = suggest(text.upper(), column.allowed)
        raise CellError(
            f"'{shown(text)}' is not a valid {column.name.replace('_', ' ')}; use one of {allowed}",
            code="INVALID_VALUE",
            suggestion=guess,
        )
    if kind is Kind.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | float) and raw in (0, 1):
            return bool(raw)
        text = _text(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(f"'{shown(raw)}' is not TRUE or FALSE")
    if kind is Kind.INTEGER:
        number = _number(raw)
        if not float(number).is_integer():
            raise CellError(f"'{shown(raw)}' is not a whole number")
        value = int(number)
        if value < 1:
            raise CellError(
                f"{value} is not a position: 1 is the first column", code="INVALID_VALUE"
            )
        return value
    if kind is Kind.CONFIDENCE:
        text = raw.strip() if isinstance(raw, str) else raw
        percent = isinstance(text, str) and text.endswith("%")
        number = _number(text[:-1] if percent else text)
        if percent:
            number = number / 100
        if not 0.0 <= number <= 1.0:
            raise CellError(
                f"the confidence must be between 0 and 1 (for example 0.8 or 80%), got "
                f"{shown(raw)}",
                code="INVALID_VALUE",
            )
        return float(number)
    if kind is Kind.TIMESTAMP:
        return _timestamp(raw)
    raise AssertionError(kind)


def _text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return str(raw)


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise CellError(f"'{shown(raw)}' is not a number")
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = str(raw).strip()
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # a decimal comma, as many locales type it
        try:
            number = float(text)
        except ValueError:
            raise CellError(f"'{shown(raw)}' is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise CellError(f"'{shown(raw)}' is not a number")
    return number


def _tags(raw: Any) -> list[str]:
    if isinstance(raw, list):
        items = [_text(item) for item in raw if not is_empty(item)]
    elif isinstance(raw, dict):
        raise CellError("expected tags (a list or text separated by ';'), found a map")
    else:
        items = _text(raw).split(TAG_SEPARATOR)
    tags: dict[str, None] = {}
    for item in items:
        tag = item.strip()
        if not tag:
            continue
        if reason := check.hidden_characters(tag):
            raise CellError(f"the tag {shown(tag, 30)!r} {reason}", code="INVALID_VALUE")
        if len(tag) > check.MAX_TAG:
            raise CellError(
                f"the tag '{shown(tag, 30)}' is longer than {check.MAX_TAG} characters; shorten it",
                code="INVALID_VALUE",
            )
        tags.setdefault(tag, None)
    if len(tags) > check.MAX_TAGS:
        raise CellError(
            f"{len(tags)} tags given; at most {check.MAX_TAGS} are allowed", code="INVALID_VALUE"
        )
    return list(tags)


_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def _timestamp(raw: Any) -> str:
    """An ISO 8601 text Neo4j's datetime() reads, keeping every digit of the fraction."""
    if isinstance(raw, datetime):
        moment = raw if raw.tzinfo else raw.replace(tzinfo=UTC)
        return moment.isoformat()
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day, tzinfo=UTC).isoformat()
    text = _text(raw).strip()
    if not _ISO.match(text):
        raise CellError(f"'{shown(text)}' is not a date and time; write it as 2024-05-01T09:30:00Z")
    try:
        datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise CellError(f"'{shown(text)}' is not a real date and time") from None
    if "T" not in text and " " not in text:
        return text + "T00:00:00Z"
    text = text.replace(" ", "T", 1)
    if not re.search(r"(Z|[+-]\d{2}:?\d{2})$", text):
        text += "Z"
    return text


def write_cell(column: Column, value: Any, encoding: Encoding) -> Any:
    """A value as a cell of the given encoding (JSON and YAML keep lists and null)."""
    if encoding in SPREADSHEET_ENCODINGS:
        if value is None:
            return None if encoding is Encoding.XLSX else ""
        if isinstance(value, list):
            value = f"{TAG_SEPARATOR} ".join(value)
        if isinstance(value, bool):
            return value if encoding is Encoding.XLSX else ("TRUE" if value else "FALSE")
        if isinstance(value, int | float):
            return value if encoding is Encoding.XLSX else repr(value)
        if encoding is Encoding.XLSX and isinstance(value, str):
            # Strip what a workbook cannot hold *before* neutralising, or "\x01=..." would
            # lose its first character afterwards and become a live formula.
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return neutralise(value)
    return value
