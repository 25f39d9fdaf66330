"""The first pass over a file: syntax and schema, row by row, into a spool on disk.

Every readable row is checked cell by cell against its section's columns; each problem is
reported with the row and column the person sees. Rows go to a spool (one JSON line per
row, per section), flagged when invalid, so the second pass (`plan`) can stream them in
batches without reading the file again and without holding it in memory.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from graph_api.interchange import codecs
from graph_api.interchange.cells import CellError, is_empty, read_cell, restore, shown
from graph_api.interchange.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    SECTIONS,
    Column,
    Encoding,
    Kind,
    Section,
    normalise_header,
    suggest,
)
from graph_api.interchange.report import Place, Problem, ProblemCode, Report
from graph_api.interchange.template import example_rows

ProgressHook = Callable[[int], None]


@dataclass
class ParsedRow:
    row: int
    line: int | None
    place: int  # index into ParsedFile.places
    values: dict[str, Any]  # column -> typed value (None: empty cell) for the columns present
    invalid: bool


@dataclass
class ParsedFile:
    encoding: Encoding
    spool_dir: Path
    places: list[Place] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    unreadable: bool = False  # a syntax problem: the file was not read completely
    version: int | None = None

    def path(self, section: str) -> Path:
        return self.spool_dir / f"{section}.jsonl"

    def batches(self, section: str, size: int) -> Iterator[list[ParsedRow]]:
        path = self.path(section)
        if not path.exists():
            return
        batch: list[ParsedRow] = []
        with path.open(encoding="utf-8") as spool:
            for line in spool:
                item = json.loads(line)
                batch.append(ParsedRow(item["r"], item["l"], item["p"], item["v"], item["x"]))
                if len(batch) >= size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())


def _json_default(value: Any) -> Any:
    enum_value = getattr(value, "value", None)
    if enum_value is not None:
        return enum_value
    raise TypeError(type(value).__name__)


class _Spool:
    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._files: dict[str, IO[str]] = {}

    def write(self, section: str, row: ParsedRow) -> None:
        handle = self._files.get(section)
        if handle is None:
            handle = self._files[section] = (self._dir / f"{section}.jsonl").open(
                "a", encoding="utf-8"
            )
        handle.write(
            json.dumps(
                {"r": row.row, "l": row.line, "p": row.place, "v": row.values, "x": row.invalid},
                default=_json_default,
                ensure_ascii=False,
            )
        )
        handle.write("\n")

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


# The template's example rows: a row equal to one of them was most likely left in by mistake.
_EXAMPLES = {s.name: example_rows(s) for s in SECTIONS}


def parse(
    path: Path,
    *,
    file_name: str,
    encoding: Encoding,
    report: Report,
    spool_dir: Path | None = None,
    progress: ProgressHook | None = None,
) -> ParsedFile:
    directory = spool_dir or Path(tempfile.mkdtemp(prefix="clew-import-"))
    parsed = ParsedFile(encoding=encoding, spool_dir=directory)
    info = codecs.FileInfo(encoding=encoding)
    spool = _Spool(directory)
    seen = 0

    def problem(p: Problem) -> None:
        report.add(p)
        if p.code in _SYNTAX_CODES:
            parsed.unreadable = True

    def version_ok() -> bool:
        # Checked as each section starts (the metadata comes first in Clew's own files) and
        # once more at the end, for hand-written files that put it last.
        if parsed.unreadable and report.counts[ProblemCode.UNSUPPORTED_VERSION]:
            return False
        version_problem = _version_problem(info, file_name)
        if version_problem is not None:
            problem(version_problem)
            return False
        return True

    try:
        for raw in codecs.read(
            path, file_name=file_name, encoding=encoding, problem=problem, info=info
        ):
            if not version_ok():
                # Read on only to close the file; damage past this point changes nothing.
                try:
                    _drain(raw)
                except (codecs.StopFile, UnicodeDecodeError):
                    parsed.unreadable = True
                break
            assert raw.section is not None
            parsed.places.append(raw.place)
            checker = _SectionChecker(raw, len(parsed.places) - 1, report)
            try:
                for row in checker.rows():
                    spool.write(raw.section.name, row)
                    parsed.counts[raw.section.name] = parsed.counts.get(raw.section.name, 0) + 1
                    seen += 1
                    if progress is not None and seen % 500 == 0:
                        progress(seen)
            except codecs.StopFile:
                parsed.unreadable = True
                break
            except UnicodeDecodeError:
                problem(
                    Problem(
                        ProblemCode.WRONG_ENCODING,
                        f"{raw.place.at(checker.last_row + 1)}: the file is not UTF-8 text from "
                        "here on. Save it as UTF-8 (in Excel: 'CSV UTF-8') and import it again.",
                        file=file_name,
                        section=raw.section.name,
                        row=checker.last_row + 1,
                    )
                )
                parsed.unreadable = True
                break
        else:
            version_ok()
    except BaseException:
        spool.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise
    finally:
        spool.close()
    parsed.version = info.version
    parsed.encoding = info.encoding
    report.format_version = info.version or FORMAT_VERSION
    if progress is not None:
        progress(seen)
    if not parsed.places and not parsed.unreadable and report.error_count == 0:
        report.add(
            Problem(
                ProblemCode.EMPTY_FILE,
                f"'{file_name}' holds none of the sections Clew reads "
                f"({', '.join(s.name for s in SECTIONS)}); use the template to see the layout.",
                file=file_name,
            )
        )
        parsed.unreadable = True
    return parsed


_SYNTAX_CODES = {
    ProblemCode.UNREADABLE_FILE,
    ProblemCode.EMPTY_FILE,
    ProblemCode.WRONG_ENCODING,
    ProblemCode.MALFORMED_CSV,
    ProblemCode.NOT_A_WORKBOOK,
    ProblemCode.MALFORMED_JSON,
    ProblemCode.MALFORMED_YAML,
    ProblemCode.UNSUPPORTED_VERSION,
}


def _drain(raw: codecs.RawSection) -> None:
    for _ in raw.rows:
        pass


def _version_problem(info: codecs.FileInfo, file_name: str) -> Problem | None:
    if info.version in (None, FORMAT_VERSION) and info.format_name in (None, FORMAT_NAME):
        return None
    if info.format_name not in (None, FORMAT_NAME):
        message = (
            f"'{file_name}' says it is in the format '{info.format_name}', not "
            f"'{FORMAT_NAME}'; export from Clew or start from the template."
        )
    elif info.version is not None and info.version > FORMAT_VERSION:
        message = (
            f"'{file_name}' was written in version {info.version} of the format, newer "
            f"than this Clew reads (version {FORMAT_VERSION}); upgrade Clew or export "
            "the file again from this one."
        )
    else:
        message = (
            f"'{file_name}' gives the format version '{info.version}'; this Clew reads "
            f"version {FORMAT_VERSION}. Set the version to {FORMAT_VERSION} or remove it."
        )
    return Problem(
        ProblemCode.UNSUPPORTED_VERSION, message, file=file_name, value=str(info.version)
    )


class _SectionChecker:
    def __init__(self, raw: codecs.RawSection, place_index: int, report: Report) -> None:
        assert raw.section is not None
        self.raw = raw
        self.section: Section = raw.section
        self.place = raw.place
        self.place_index = place_index
        self.report = report
        self.last_row = raw.header_row or 0
        self.columns: list[Column | None] = []  # per header position (tabular)
        self.present: set[str] = set()
        self.section_invalid = False
        self._unnamed_reported: set[int] = set()
        self._unknown_keys: set[str] = set()

    def _add(
        self,
        code: ProblemCode,
        sentence: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        suggestion: str | None = None,
        line: int | None = None,
    ) -> None:
        hint = f" Did you mean '{suggestion}'?" if suggestion else ""
        self.report.add(
            Problem(
                code,
                f"{self.place.at(row, line)}: {sentence}{hint}",
                file=self.place.file,
                section=self.section.name,
                row=row,
                column=column,
                value=None if value is None else shown(value, 200),
                suggestion=suggestion,
                line=line,
            )
        )

    def _header(self) -> None:
        header = self.raw.header or []
        known = self.section.column_names
        for cell in header:
            name = normalise_header(restore(cell) if isinstance(cell, str) else cell)
            if not name:
                self.columns.append(None)
                continue
            if name in self.present:
                self._add(
                    ProblemCode.DUPLICATE_COLUMN,
                    f"the column '{cell}' appears twice in the header (row "
                    f"{self.raw.header_row}); keep one of them. The second was ignored.",
                    column=str(cell),
                    row=self.raw.header_row,
                )
                self.columns.append(None)
                continue
            if name not in known:
                missing = [
                    c
                    for c in known
                    if c not in self.present and c not in {normalise_header(h) for h in header}
                ]
                guess = suggest(name, missing) or suggest(name, known)
                self._add(
                    ProblemCode.UNKNOWN_COLUMN,
                    f"the column '{cell}' is not part of '{self.section.name}'; its values "
                    "were not imported. Rename it to one of the section's columns or "
                    "delete it.",
                    column=str(cell),
                    row=self.raw.header_row,
                    suggestion=guess,
                )
                self.columns.append(None)
                continue
            self.present.add(name)
            self.columns.append(self.section.column(name))
        for group in self.section.required_columns:
            if not any(c in self.present for c in group):
                wanted = " or ".join(f"'{c}'" for c in group)
                self._add(
                    ProblemCode.MISSING_COLUMN,
                    f"the header (row {self.raw.header_row}) has no column {wanted}, which "
                    "every row needs; add the column. No row of this section was imported.",
                    column=group[0],
                    row=self.raw.header_row,
                )
                self.section_invalid = True

    def rows(self) -> Iterator[ParsedRow]:
        tabular = self.raw.header is not None
        if tabular:
            self._header()
        for raw in self.raw.rows:
            self.last_row = raw.row
            values: dict[str, Any] | None
            if tabular:
                values = self._from_cells(raw)
            else:
                values = self._from_item(raw)
                if values is None:
                    yield ParsedRow(raw.row, raw.line, self.place_index, {}, True)
                    continue
            yield self._check(raw, values)

    def _from_cells(self, raw: codecs.RawRow) -> dict[str, Any]:
        values: dict[str, Any] = {}
        cells = raw.values if isinstance(raw.values, list) else []
        for position, cell in enumerate(cells):
            column = self.columns[position] if position < len(self.columns) else None
            if column is None:
                if (
                    not is_empty(cell)
                    and position not in self._unnamed_reported
                    and (position >= len(self.columns) or not (self.raw.header or [None])[position])
                ):
                    self._unnamed_reported.add(position)
                    letter = _column_letter(position)
                    self._add(
                        ProblemCode.EXTRA_VALUES,
                        f"column {letter} has values (for example '{shown(cell)}') but no "
                        "header; give it one of the section's column names or clear it.",
                        row=raw.row,
                        column=letter,
                        value=cell,
                    )
                continue
            values[column.name] = restore(cell) if self.raw.neutralised else cell
        for name in self.present:
            values.setdefault(name, None)
        return values

    def _from_item(self, raw: codecs.RawRow) -> dict[str, Any] | None:
        if not isinstance(raw.values, dict):
            self._add(
                ProblemCode.NOT_A_ROW,
                'expected a row of named values (an object such as {"name": ...}), '
                f"found {type(raw.values).__name__}.",
                row=raw.row,
                line=raw.line,
            )
            return None
        values: dict[str, Any] = {}
        known = self.section.column_names
        for key, value in raw.values.items():
            name = normalise_header(key)
            if name not in known:
                if name not in self._unknown_keys:
                    self._unknown_keys.add(name)
                    self._add(
                        ProblemCode.UNKNOWN_COLUMN,
                        f"'{key}' is not a column of '{self.section.name}'; its values "
                        "were not imported (reported once for the section).",
                        row=raw.row,
                        line=raw.line,
                        column=str(key),
                        suggestion=suggest(name, known),
                    )
                continue
            values[name] = value
        return values

    def _check(self, raw: codecs.RawRow, values: dict[str, Any]) -> ParsedRow:
        invalid = self.section_invalid or raw.invalid
        typed: dict[str, Any] = {}
        for name, cell in values.items():
            column = self.section.column(name)
            if is_empty(cell) or (column.kind is Kind.TAGS and cell == []):
                typed[name] = None
                continue
            try:
                typed[name] = read_cell(column, cell)
            except CellError as exc:
                invalid = True
                self._add(
                    ProblemCode(exc.code),
                    f"in the column '{name}', {exc.message}.",
                    row=raw.row,
                    line=raw.line,
                    column=name,
                    value=cell,
                    suggestion=exc.suggestion,
                )
                continue
            if column.kind is Kind.TAGS and isinstance(cell, str) and "," in cell:
                self._add(
                    ProblemCode.TAG_SEPARATOR,
                    f"in the column '{name}', '{shown(cell)}' is read as "
                    f"{len(typed[name])} tag(s) because tags are separated by ';'. If you "
                    "meant separate tags, write them as 'pii; finance'.",
                    row=raw.row,
                    line=raw.line,
                    column=name,
                    value=cell,
                )
        if not self.section_invalid:
            invalid = self._required(raw, typed) or invalid
        if not invalid and self._is_example(typed):
            self._add(
                ProblemCode.EXAMPLE_ROW,
                "this is the template's example row; delete it unless you mean to import it.",
                row=raw.row,
                line=raw.line,
            )
        return ParsedRow(raw.row, raw.line, self.place_index, typed, invalid)

    def _required(self, raw: codecs.RawRow, typed: dict[str, Any]) -> bool:
        missing = False
        for column in self.section.columns:
            if column.required and typed.get(column.name) is None:
                missing = True
                self._add(
                    ProblemCode.REQUIRED_VALUE,
                    f"the column '{column.name}' is empty; every row needs {_what(column)}.",
                    row=raw.row,
                    line=raw.line,
                    column=column.name,
                )
        for group in self.section.required_columns:
            if len(group) > 1 and all(typed.get(c) is None for c in group):
                missing = True
                first = self.section.column(group[0])
                self._add(
                    ProblemCode.REQUIRED_VALUE,
                    f"the column '{group[0]}' is empty; give {_what(first)} (or the id "
                    f"in '{group[1]}').",
                    row=raw.row,
                    line=raw.line,
                    column=group[0],
                )
        return missing

    def _is_example(self, typed: dict[str, Any]) -> bool:
        return any(self._matches(example, typed) for example in _EXAMPLES[self.section.name])

    @staticmethod
    def _matches(example: dict[str, Any], typed: dict[str, Any]) -> bool:
        compared = [k for k in example if k in typed]
        if len(compared) < 3:
            return False
        for key in compared:
            value = typed[key]
            value = getattr(value, "value", value)
            if value != example[key]:
                return False
        return True


def _what(column: Column) -> str:
    if column.kind in (Kind.NAME, Kind.OPTIONAL_NAME):
        thing = column.name.replace("_", " ")
        thing = thing if thing.endswith("name") else f"{thing} name"
        return f"{'an' if thing[0] in 'aeiou' else 'a'} {thing}"
    return f"a value for '{column.name}'"


def _column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)
