"""What planning records: a row's problems and its pending writes, the file's entries, the
batch plan the service applies, and how values compare and are shown."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graph_api.interchange.report import ProblemCode, Severity, severity_of
from graph_api.interchange.validate import ParsedRow


@dataclass(frozen=True)
class AuditEntry:
    entity_id: str
    entity_type: str
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    comment: str | None = None


@dataclass
class BatchPlan:
    section: str
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    # Field lineage: table pairs whose implied table edge must be brought up to date.
    refresh_pairs: list[tuple[str, str]] = field(default_factory=list)
    rows: int = 0

    @property
    def writes(self) -> int:
        return len(self.creates) + len(self.updates)


@dataclass(slots=True)
class Entry:
    """A row of the file, by its natural key or id: the id it resolves to (None when the row
    has errors), where it is, and for a field its table."""

    id: str | None
    row: int
    place: int
    table_id: str | None = None
    name: str | None = None


class RowError(Exception):
    """The row cannot be resolved; its problems are already recorded."""


@dataclass
class Row:
    """What planning one row decided, applied (committed) only in the batch's final round."""

    parsed: ParsedRow
    problems: list[tuple[ProblemCode, str, str | None, Any, str | None]] = field(
        default_factory=list
    )
    commits: list[Callable[[], None]] = field(default_factory=list)

    def problem(
        self,
        code: ProblemCode,
        sentence: str,
        *,
        column: str | None = None,
        value: Any = None,
        suggestion: str | None = None,
    ) -> None:
        self.problems.append((code, sentence, column, value, suggestion))

    @property
    def has_errors(self) -> bool:
        return any(severity_of(p[0]) is Severity.ERROR for p in self.problems)


def enum_or_none(cls: Any, value: Any) -> Any:
    return None if value is None else cls(value)


_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def _instant(value: Any) -> Any:
    text = plain(value)
    if not isinstance(text, str):
        return text
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
    except ValueError:
        return text
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def same_value(given: Any, recorded: Any) -> bool:
    if recorded is None:
        return False
    return bool(plain(given) == plain(recorded) or _instant(given) == _instant(recorded))


def plain(value: Any) -> Any:
    """A value as JSON holds it (for samples and the audit trail)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    enum_value = getattr(value, "value", None)
    if enum_value is not None and not isinstance(value, int | float | str | bool):
        return enum_value
    native = getattr(value, "iso_format", None)
    if callable(native):
        return native()
    return value


def article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"
