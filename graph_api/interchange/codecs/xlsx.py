"""Excel workbooks: one sheet per section. Excel cannot be streamed (a workbook is a zip whose
directory comes last): openpyxl's write-only mode keeps rows on disk, and `finish` streams the
saved file. Cells a spreadsheet would run as formulas are neutralised."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph_api.interchange.cells import write_cell
from graph_api.interchange.codecs.common import (
    CHUNK,
    DAMAGED,
    MAX_BLANK_LINES,
    SECTION_NAMES,
    FileInfo,
    ProblemSink,
    RawRow,
    RawSection,
    StopFile,
    Writer,
    meta_items,
    plain,
    reason_of,
    too_many_blank,
    version_number,
)
from graph_api.interchange.codecs.zips import RESAVE, damaged_workbook
from graph_api.interchange.format import (
    ABOUT,
    Encoding,
    Section,
    normalise_header,
    section_for,
    suggest,
)
from graph_api.interchange.report import Place, Problem, ProblemCode

# What openpyxl raises on a sheet whose XML is well-formed but whose cells are not (a shared
# string index past the table, "abc" in a number cell, a row numbered "x").
_BAD_SHEET = (*DAMAGED, ValueError, IndexError, KeyError, TypeError)


def _damaged_sheet(file_name: str, sheet: str, after_row: int, exc: Exception) -> Problem:
    where = f"after row {after_row}" if after_row else "from its first row"
    return Problem(
        ProblemCode.UNREADABLE_FILE,
        f"The sheet '{sheet}' of '{file_name}' is damaged and cannot be read {where} "
        f"({reason_of(exc)}); nothing after that was read. {RESAVE}",
        file=file_name,
        section=sheet,
        row=after_row + 1,
        value=reason_of(exc),
    )


def read_xlsx(
    path: Path, file_name: str, head: bytes, problem: ProblemSink, info: FileInfo
) -> Iterator[RawSection]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (*DAMAGED, InvalidFileException, KeyError, ValueError) as exc:
        if head.startswith(b"PK"):
            damaged = isinstance(exc, DAMAGED)
            problem(damaged_workbook(file_name, reason_of(exc) if damaged else None))
            return
        looks_like = "CSV or other text"
        problem(
            Problem(
                ProblemCode.NOT_A_WORKBOOK,
                f"The file '{file_name}' is not an Excel workbook (it looks like {looks_like}). "
                "Save it from your spreadsheet program as 'Excel Workbook (.xlsx)', or import it "
                "with the name ending in .csv if it is CSV.",
                file=file_name,
                value=type(exc).__name__,
            )
        )
        return
    try:
        names = list(workbook.sheetnames)
        if ABOUT in [normalise_header(n) for n in names]:
            about = names[[normalise_header(n) for n in names].index(ABOUT)]
            try:
                _read_about(workbook[about], info)
            except _BAD_SHEET as exc:
                problem(_damaged_sheet(file_name, about, 0, exc))
                return
        for name in names:
            if normalise_header(name) == ABOUT:
                continue
            sheet = workbook[name]
            section = section_for(name)
            place = Place(file_name, section.name if section else name, name)
            rows = _sheet_rows(sheet, file_name, name, problem)
            try:
                header_row, header = _first_filled(rows)
            except StopFile:
                return
            if section is None:
                if header is None:
                    continue  # an empty extra sheet (e.g. 'Sheet1') is harmless
                hint = suggest(normalise_header(name), SECTION_NAMES)
                problem(
                    Problem(
                        ProblemCode.UNKNOWN_SECTION,
                        f"The sheet '{name}' is not one Clew reads; its rows were not imported. "
                        f"Name it after one of the sections ({', '.join(SECTION_NAMES)})"
                        + (f". Did you mean '{hint}'?" if hint else ", or delete it."),
                        file=file_name,
                        section=name,
                        suggestion=hint,
                    )
                )
                continue
            if header is None:
                continue
            info.sections.append(section.name)
            yield RawSection(place, section, header, header_row, rows)
    finally:
        workbook.close()


def _sheet_rows(sheet: Any, file_name: str, name: str, problem: ProblemSink) -> Iterator[RawRow]:
    # Read-only sheets trust the file's declared range, which some writers get wrong.
    sheet.reset_dimensions()
    number = blank = 0
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if values and any(v is not None and v != "" for v in values):
                yield RawRow(number, list(values))
                continue
            blank += 1
            if blank > MAX_BLANK_LINES:
                problem(too_many_blank(file_name, name, number))
                raise StopFile()
    except _BAD_SHEET as exc:
        # openpyxl numbers rows from the XML, so the last good one is number - 1 at worst.
        problem(_damaged_sheet(file_name, name, max(number - 1, 0), exc))
        raise StopFile() from None


def _first_filled(rows: Iterator[RawRow]) -> tuple[int | None, list[Any] | None]:
    for raw in rows:
        return raw.row, list(raw.values)
    return None, None


def _read_about(sheet: Any, info: FileInfo) -> None:
    sheet.reset_dimensions()
    for values in sheet.iter_rows(max_row=20, values_only=True):
        if not values or values[0] is None:
            continue
        key = normalise_header(values[0])
        value = values[1] if len(values) > 1 else None
        if key == "version":
            info.version = version_number(value)
        elif key == "format":
            info.format_name = str(value) if value is not None else None


class XlsxWriter(Writer):
    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        import openpyxl

        self._workbook = openpyxl.Workbook(write_only=True)
        self._sheet: Any = None
        self._path: str | None = None
        about = self._workbook.create_sheet(ABOUT)
        for key, value in meta_items(meta):
            about.append([key, plain(value)])

    def start_section(self, section: Section) -> bytes:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        super().start_section(section)
        sheet = self._workbook.create_sheet(section.name)
        for index, column in enumerate(section.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.name) + 4)
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for name in section.column_names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        self._sheet = sheet
        return b""

    def rows(self, rows: list[dict[str, Any]]) -> bytes:
        assert self.section is not None
        for row in rows:
            self._sheet.append(
                [
                    _xlsx_safe(write_cell(c, row.get(c.name), Encoding.XLSX))
                    for c in self.section.columns
                ]
            )
        return b""

    def finish(self) -> Iterator[bytes]:
        handle, self._path = tempfile.mkstemp(prefix="clew-export-", suffix=".xlsx")
        os.close(handle)
        self._workbook.save(self._path)
        try:
            with open(self._path, "rb") as saved:
                while chunk := saved.read(CHUNK):
                    yield chunk
        finally:
            self.close()

    def close(self) -> None:
        if self._path is not None:
            try:
                os.unlink(self._path)
            except FileNotFoundError:
                pass
            self._path = None


def _xlsx_safe(value: Any) -> Any:
    # Control characters are not allowed in the XML of a workbook; they cannot be kept.
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
