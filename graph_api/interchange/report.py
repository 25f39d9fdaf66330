"""What an import found and did: problems in plain words, and counts per section.

A report stays small whatever the file: it keeps the first ``max_problems`` problems in
detail and counts every problem by code, and keeps a few sample rows per action.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from graph_api.interchange.format import SECTIONS

DEFAULT_MAX_PROBLEMS = 1000
SAMPLES_PER_ACTION = 10


class Severity(Enum):
    ERROR = "ERROR"  # the row (or file) cannot be imported as it is
    WARNING = "WARNING"  # imported, but the person should know


class Stage(Enum):
    SYNTAX = "SYNTAX"
    SCHEMA = "SCHEMA"
    SEMANTICS = "SEMANTICS"
    RULE = "RULE"


class ProblemCode(Enum):
    # Syntax: the file cannot be read.
    UNREADABLE_FILE = "UNREADABLE_FILE"
    EMPTY_FILE = "EMPTY_FILE"
    WRONG_ENCODING = "WRONG_ENCODING"
    MALFORMED_CSV = "MALFORMED_CSV"
    NOT_A_WORKBOOK = "NOT_A_WORKBOOK"
    MALFORMED_JSON = "MALFORMED_JSON"
    MALFORMED_YAML = "MALFORMED_YAML"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    # Schema: sheets, columns and cells.
    UNKNOWN_SECTION = "UNKNOWN_SECTION"
    MISSING_COLUMN = "MISSING_COLUMN"
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"
    EXTRA_VALUES = "EXTRA_VALUES"
    NOT_A_ROW = "NOT_A_ROW"
    REQUIRED_VALUE = "REQUIRED_VALUE"
    WRONG_TYPE = "WRONG_TYPE"
    INVALID_VALUE = "INVALID_VALUE"
    # Semantics: rows against each other and the catalog.
    UNKNOWN_REFERENCE = "UNKNOWN_REFERENCE"
    CONFLICTING_REFERENCE = "CONFLICTING_REFERENCE"
    DEPENDS_ON_INVALID_ROW = "DEPENDS_ON_INVALID_ROW"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    SELF_LINEAGE = "SELF_LINEAGE"
    INVALID_PROVENANCE = "INVALID_PROVENANCE"
    NAME_TAKEN = "NAME_TAKEN"
    ID_IN_USE = "ID_IN_USE"
    EDGE_ENDS_CHANGED = "EDGE_ENDS_CHANGED"
    FIELD_MOVED = "FIELD_MOVED"
    # Business rules and limits.
    APPROVED_DOWNGRADE = "APPROVED_DOWNGRADE"
    ROLE_REQUIRED = "ROLE_REQUIRED"
    TRANSACTION_TOO_LARGE = "TRANSACTION_TOO_LARGE"
    DATABASE_BUSY = "DATABASE_BUSY"
    # A cluster's leader changed (or its connection was lost) during the import's transaction.
    LEADER_CHANGED = "LEADER_CHANGED"
    DOWNGRADE_ALLOWED = "DOWNGRADE_ALLOWED"
    KEPT_EXISTING = "KEPT_EXISTING"
    # Warnings that need no change but deserve a look.
    EXAMPLE_ROW = "EXAMPLE_ROW"
    TAG_SEPARATOR = "TAG_SEPARATOR"
    ID_MISMATCH = "ID_MISMATCH"
    IMPLIED_ROW_IGNORED = "IMPLIED_ROW_IGNORED"
    IGNORED_SHEET = "IGNORED_SHEET"
    IGNORED_VALUE = "IGNORED_VALUE"


_WARNINGS = {
    ProblemCode.DOWNGRADE_ALLOWED,
    ProblemCode.KEPT_EXISTING,
    ProblemCode.EXAMPLE_ROW,
    ProblemCode.TAG_SEPARATOR,
    ProblemCode.ID_MISMATCH,
    ProblemCode.IMPLIED_ROW_IGNORED,
    ProblemCode.IGNORED_SHEET,
    ProblemCode.IGNORED_VALUE,
}
_SYNTAX = {
    ProblemCode.UNREADABLE_FILE,
    ProblemCode.EMPTY_FILE,
    ProblemCode.WRONG_ENCODING,
    ProblemCode.MALFORMED_CSV,
    ProblemCode.NOT_A_WORKBOOK,
    ProblemCode.MALFORMED_JSON,
    ProblemCode.MALFORMED_YAML,
    ProblemCode.UNSUPPORTED_VERSION,
}
_SCHEMA = {
    ProblemCode.UNKNOWN_SECTION,
    ProblemCode.MISSING_COLUMN,
    ProblemCode.UNKNOWN_COLUMN,
    ProblemCode.DUPLICATE_COLUMN,
    ProblemCode.EXTRA_VALUES,
    ProblemCode.NOT_A_ROW,
    ProblemCode.REQUIRED_VALUE,
    ProblemCode.WRONG_TYPE,
    ProblemCode.INVALID_VALUE,
    ProblemCode.TAG_SEPARATOR,
    ProblemCode.IGNORED_SHEET,
}
_RULES = {
    ProblemCode.APPROVED_DOWNGRADE,
    ProblemCode.ROLE_REQUIRED,
    ProblemCode.DOWNGRADE_ALLOWED,
    ProblemCode.KEPT_EXISTING,
    ProblemCode.TRANSACTION_TOO_LARGE,
    ProblemCode.DATABASE_BUSY,
    ProblemCode.LEADER_CHANGED,
}


def severity_of(code: ProblemCode) -> Severity:
    return Severity.WARNING if code in _WARNINGS else Severity.ERROR


def stage_of(code: ProblemCode) -> Stage:
    if code in _SYNTAX:
        return Stage.SYNTAX
    if code in _SCHEMA:
        return Stage.SCHEMA
    if code in _RULES:
        return Stage.RULE
    return Stage.SEMANTICS


@dataclass(frozen=True)
class Place:
    """Where rows come from, as the person knows it: a sheet, a CSV file or a JSON section."""

    file: str
    section: str  # the section's name in the format
    label: str  # what the person sees: the sheet name, the CSV file name, the section key
    unit: str = "Row"  # "Row" in spreadsheets (header = row 1), "Item" in JSON and YAML

    def at(self, row: int | None, line: int | None = None) -> str:
        if row is None:
            return f"'{self.label}'"
        where = f"{self.unit} {row} of '{self.label}'"
        return f"{where} (line {line})" if line is not None else where


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    message: str
    file: str | None = None
    section: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    suggestion: str | None = None
    line: int | None = None

    @property
    def severity(self) -> Severity:
        return severity_of(self.code)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["code"] = self.code.value
        data["severity"] = self.severity.value
        return data


@dataclass
class Sample:
    action: str
    row: int | None
    key: str
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


ACTIONS = ("created", "updated", "unchanged", "kept", "skipped", "implied")


@dataclass
class SectionSummary:
    section: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # an existing MANUAL or APPROVED edge kept over an INFERRED row
    skipped: int = 0  # invalid rows (not applied)
    implied: int = 0  # rows describing implied table edges (follow the field lineage)
    samples: list[Sample] = field(default_factory=list)

    def count(
        self,
        action: str,
        *,
        row: int | None,
        key: str,
        changes: list[tuple[str, Any, Any]] | None = None,
    ) -> None:
        setattr(self, action, getattr(self, action) + 1)
        if sum(1 for s in self.samples if s.action == action) < SAMPLES_PER_ACTION:
            self.samples.append(Sample(action, row, key, list(changes or [])))


# What an import does with a row, in the words of a report that wrote nothing.
_WOULD = {
    "created": "would be created",
    "updated": "would be updated",
    "unchanged": "would stay unchanged",
    "kept": "would keep the existing edge",
    "implied": "would follow the field lineage",
}


class Outcome(Enum):
    PREVIEWED = "PREVIEWED"  # dry run: nothing written
    APPLIED = "APPLIED"  # every row applied
    PARTIALLY_APPLIED = "PARTIALLY_APPLIED"  # SKIP_INVALID: valid rows applied, others skipped
    NOTHING_APPLIED = "NOTHING_APPLIED"  # errors (ALL_OR_NOTHING) or an unreadable file


class Report:
    def __init__(self, *, max_problems: int = DEFAULT_MAX_PROBLEMS) -> None:
        self.max_problems = max_problems
        self.problems: list[Problem] = []
        self.counts: Counter[ProblemCode] = Counter()
        self.sections: dict[str, SectionSummary] = {}
        self.outcome: Outcome | None = None
        self.format_version: int | None = None

    def add(self, problem: Problem) -> None:
        """Problems are kept in file order (section, then row), whichever check found them
        first; past ``max_problems`` the last in file order give way."""
        self.counts[problem.code] += 1
        bisect.insort_right(self.problems, problem, key=file_order)
        if len(self.problems) > self.max_problems:
            self.problems.pop()

    @property
    def written(self) -> bool:
        """Whether this import wrote anything: a preview and a refused or unreadable file
        write nothing."""
        return self.outcome in (Outcome.APPLIED, Outcome.PARTIALLY_APPLIED)

    def summary(self) -> str:
        """One plain sentence: what the import wrote, or that it wrote nothing and why, and
        what it would have done."""
        planned = _planned(self)
        if self.outcome is Outcome.PREVIEWED:
            return (
                "Preview: nothing was written. "
                + (
                    f"Importing the file would do this: {planned}."
                    if planned
                    else "The file would change nothing."
                )
                + _errors_then(self)
            )
        if self.outcome is Outcome.NOTHING_APPLIED:
            why = (
                f"the file has {self.error_count} error(s) and the import was all or nothing"
                if self.error_count
                else "the file could not be used"
            )
            return (
                f"Nothing was written: {why}. "
                + (
                    f"Without the errors the import would have done this: {planned}. "
                    if planned
                    else ""
                )
                + "Correct the rows listed in problems and import again, or import with mode "
                "SKIP_INVALID to write the valid rows."
            )
        done = _planned(self, done=True)
        return (f"Written: {done}." if done else "Nothing needed changing.") + (
            f" {self.error_count} row(s) with errors were skipped." if self.error_count else ""
        )

    @property
    def error_count(self) -> int:
        return sum(n for code, n in self.counts.items() if severity_of(code) is Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(n for code, n in self.counts.items() if severity_of(code) is Severity.WARNING)

    @property
    def truncated(self) -> bool:
        return sum(self.counts.values()) > len(self.problems)

    def section(self, name: str) -> SectionSummary:
        if name not in self.sections:
            self.sections[name] = SectionSummary(name)
        return self.sections[name]

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value if self.outcome else None,
            "written": self.written,
            "summary": self.summary(),
            "format_version": self.format_version,
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "truncated": self.truncated,
            "max_problems": self.max_problems,
            "counts": {
                code.value: n for code, n in sorted(self.counts.items(), key=lambda kv: kv[0].value)
            },
            "sections": [
                {
                    **{k: v for k, v in asdict(s).items() if k != "samples"},
                    "samples": [
                        {
                            "action": x.action,
                            "row": x.row,
                            "key": x.key,
                            "changes": [list(c) for c in x.changes],
                        }
                        for x in s.samples
                    ],
                }
                for s in self.sections.values()
            ],
            "problems": [p.as_dict() for p in self.problems],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        report = cls(max_problems=data.get("max_problems", DEFAULT_MAX_PROBLEMS))
        report.outcome = Outcome(data["outcome"]) if data.get("outcome") else None
        report.format_version = data.get("format_version")
        report.counts = Counter({ProblemCode(k): v for k, v in data.get("counts", {}).items()})
        for item in data.get("problems", []):
            fields = {k: v for k, v in item.items() if k not in ("code", "severity")}
            report.problems.append(Problem(code=ProblemCode(item["code"]), **fields))
        for item in data.get("sections", []):
            summary = SectionSummary(**{k: v for k, v in item.items() if k != "samples"})
            summary.samples = [
                Sample(s["action"], s["row"], s["key"], [tuple(c) for c in s["changes"]])
                for s in item.get("samples", [])
            ]
            report.sections[summary.section] = summary
        return report


def would(action: str) -> str:
    """An action as a report that wrote nothing says it ("would be created")."""
    return _WOULD.get(action, action)


def file_order(problem: Problem) -> tuple[int, int]:
    """Problems about the file as a whole first, then by section in the format's order,
    then by row (a problem about a section's header or columns before its rows)."""
    section = _SECTION_ORDER.get(problem.section or "", -1)
    return section, problem.row or 0


_SECTION_ORDER = {s.name: i for i, s in enumerate(SECTIONS)}


def _planned(report: Report, *, done: bool = False) -> str:
    parts = []
    for summary in report.sections.values():
        for action, phrase in _WOULD.items():
            n = getattr(summary, action)
            if n and action != "unchanged":
                parts.append(f"{n} {summary.section} row(s) {action if done else phrase}")
    return "; ".join(parts)


def _errors_then(report: Report) -> str:
    if not report.error_count:
        return ""
    return (
        f" The file has {report.error_count} error(s): importing it as it is (ALL_OR_NOTHING) "
        "would write nothing; SKIP_INVALID would write the rest."
    )


def copy_report(report: Report) -> Report:
    """A copy to plan into, so that a retried transaction starts from the first pass's
    findings and not from a half-planned attempt."""
    twin = Report(max_problems=report.max_problems)
    twin.problems = list(report.problems)
    twin.counts = Counter(report.counts)
    twin.outcome = report.outcome
    twin.format_version = report.format_version
    for name, summary in report.sections.items():
        clone = SectionSummary(**{k: v for k, v in asdict(summary).items() if k != "samples"})
        clone.samples = [Sample(s.action, s.row, s.key, list(s.changes)) for s in summary.samples]
        twin.sections[name] = clone
    return twin
