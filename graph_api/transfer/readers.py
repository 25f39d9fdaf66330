"""Reading the four encodings as streams of sections and rows, never the whole file at once.

A reader yields ``RawSection``s; each one's ``rows`` is an iterator that reads as it goes
(openpyxl in read-only mode, the csv module over a decoding stream, an incremental JSON
parser, YAML events). Readers only see structure; what a cell means is `validate`'s job.
Problems that stop a file or a section from being read are handed to ``problem``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import yaml

from graph_api.transfer.format import (
    ABOUT,
    FORMAT_NAME,
    SECTIONS,
    Encoding,
    Section,
    normalise_header,
    section_for,
    suggest,
)
from graph_api.transfer.report import Place, Problem, ProblemCode

# A transformation's SQL can be long; the csv module's default limit is 128 KiB.
csv.field_size_limit(max(csv.field_size_limit(), 4 * 1024 * 1024))

ProblemSink = Callable[[Problem], None]
_SECTION_NAMES = [s.name for s in SECTIONS]
_META_KEYS = {"format", "version", "exported_at", "generated_at", "filters"}

# What a damaged zip member (bad CRC, cut-off or corrupt deflate data) or a damaged sheet XML
# raises while it is read; openpyxl parses sheets with xml.etree (neither lxml nor defusedxml is
# installed), so a broken sheet is an ElementTree ParseError.
# What reading a damaged zip member raises: besides the zip module's own errors, a corrupt
# header offset makes the seek fail (OSError) and a garbled "version needed" byte is
# NotImplementedError. The file read is always the import's own spooled copy.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, ParseError, OSError, NotImplementedError)
# What openpyxl raises on a sheet whose XML is well-formed but whose cells are not (a shared
# string index past the table, "abc" in a number cell, a row numbered "x").
_BAD_SHEET = (*_DAMAGED, ValueError, IndexError, KeyError, TypeError)


@dataclass
class RawRow:
    row: int  # as the person sees it: the spreadsheet row (header = 1) or the item number
    values: list[Any] | dict[str, Any] | Any
    line: int | None = None
    # The reader found (and reported) a problem that makes the row unusable as it is.
    invalid: bool = False


@dataclass
class RawSection:
    place: Place
    section: Section | None
    header: list[Any] | None  # None for JSON and YAML, whose rows carry their own keys
    header_row: int | None
    rows: Iterator[RawRow]
    # Spreadsheet cells may carry formula neutralisation (a leading apostrophe).
    neutralised: bool = True


@dataclass
class FileInfo:
    encoding: Encoding
    version: int | None = None
    format_name: str | None = None
    sections: list[str] = field(default_factory=list)


class StopFile(Exception):
    """The file cannot be read further; the problem has been reported."""


def detect_encoding(file_name: str, head: bytes) -> Encoding | None:
    suffix = PurePosixPath(file_name.lower()).suffix
    by_suffix = {
        ".xlsx": Encoding.XLSX,
        ".xlsm": Encoding.XLSX,
        ".csv": Encoding.CSV,
        ".zip": Encoding.CSV,
        ".json": Encoding.JSON,
        ".yaml": Encoding.YAML,
        ".yml": Encoding.YAML,
        ".tsv": Encoding.CSV,
        ".txt": Encoding.CSV,
    }
    if suffix in by_suffix:
        return by_suffix[suffix]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PK"):
        return Encoding.XLSX  # refined to a CSV zip by read() when it holds no workbook
    if stripped.startswith(b"{"):
        return Encoding.JSON
    return None


def read(
    path: Path, *, file_name: str, encoding: Encoding, problem: ProblemSink, info: FileInfo
) -> Iterator[RawSection]:
    with path.open("rb") as probe:
        head = probe.read(8)
    if not head:
        problem(
            Problem(
                ProblemCode.EMPTY_FILE,
                f"The file '{file_name}' is empty; choose the file you filled in.",
                file=file_name,
            )
        )
        return
    if head.startswith(b"PK") and (too_large := _unpacks_too_large(path)):
        problem(
            Problem(
                ProblemCode.UNREADABLE_FILE,
                f"The file '{file_name}' {too_large}, more than Clew reads in one import. "
                "Split it (for example one file per section, imported in order).",
                file=file_name,
            )
        )
        return
    if encoding is Encoding.XLSX:
        if head.startswith(b"PK") and not _is_workbook(path):
            if not _opens_as_zip(path) and not _holds_only_csv(path):
                problem(_damaged_workbook(file_name))
                return
            info.encoding = Encoding.CSV
            yield from _read_csv_zip(path, file_name, problem)
            return
        yield from _read_xlsx(path, file_name, head, problem, info)
    elif encoding is Encoding.CSV:
        if head.startswith(b"PK"):
            if not _opens_as_zip(path) and _holds_workbook_parts(path):
                problem(_damaged_workbook(file_name))
                return
            if _is_workbook(path):
                problem(
                    Problem(
                        ProblemCode.MALFORMED_CSV,
                        f"The file '{file_name}' is an Excel workbook, not CSV text; import it "
                        "with the name ending in .xlsx (or choose the format XLSX).",
                        file=file_name,
                    )
                )
                return
            yield from _read_csv_zip(path, file_name, problem)
            return
        yield from _read_csv_file(path, file_name, problem)
    elif encoding is Encoding.JSON:
        yield from _read_json(path, file_name, problem, info)
    else:
        yield from _read_yaml(path, file_name, problem, info)


# Excel


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except _DAMAGED:
        return False
    return (
        "xl/workbook.xml" in names
        or "[Content_Types].xml" in names
        and any(n.startswith("xl/") for n in names)
    )


def _opens_as_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path):
            return True
    except _DAMAGED:
        return False


def _local_names(path: Path, *, limit: int = 1 << 20) -> list[str]:
    """Member names from the local headers at the start of a zip: a zip cut short loses its
    central directory (at the end), but its first members still name themselves."""
    with path.open("rb") as handle:
        data = handle.read(limit)
    names = []
    at = data.find(b"PK\x03\x04")
    while at != -1 and at + 30 <= len(data):
        length = int.from_bytes(data[at + 26 : at + 28], "little")
        names.append(data[at + 30 : at + 30 + length].decode("utf-8", "replace"))
        at = data.find(b"PK\x03\x04", at + 30)
    return names


def _holds_workbook_parts(path: Path) -> bool:
    return any(n.startswith("xl/") or n == "[Content_Types].xml" for n in _local_names(path))


def _holds_only_csv(path: Path) -> bool:
    names = _local_names(path)
    return (
        bool(names)
        and not _holds_workbook_parts(path)
        and all(n.endswith("/") or n.lower().endswith((".csv", ".tsv", ".txt")) for n in names)
    )


_RESAVE = (
    "Open it in your spreadsheet program, save it again as 'Excel Workbook (.xlsx)' and import "
    "the new file (if it was copied or downloaded, copy it again: it may have been cut off)."
)


def _damaged_workbook(file_name: str, reason: str | None = None) -> Problem:
    return Problem(
        ProblemCode.NOT_A_WORKBOOK,
        f"The Excel workbook '{file_name}' is damaged or incomplete and cannot be read"
        + (f" ({reason})" if reason else "")
        + f". {_RESAVE}",
        file=file_name,
        value=reason,
    )


def _damaged_sheet(file_name: str, sheet: str, after_row: int, exc: Exception) -> Problem:
    where = f"after row {after_row}" if after_row else "from its first row"
    return Problem(
        ProblemCode.UNREADABLE_FILE,
        f"The sheet '{sheet}' of '{file_name}' is damaged and cannot be read {where} "
        f"({_reason(exc)}); nothing after that was read. {_RESAVE}",
        file=file_name,
        section=sheet,
        row=after_row + 1,
        value=_reason(exc),
    )


def _damaged_member(file_name: str, label: str, after_row: int, exc: Exception) -> Problem:
    where = f"after row {after_row}" if after_row else "from its start"
    return Problem(
        ProblemCode.UNREADABLE_FILE,
        f"'{label}' in the zip archive '{file_name}' is damaged and cannot be read {where} "
        f"({_reason(exc)}); nothing after that was read. Save the CSV files again from your "
        "spreadsheet program, zip them again and import the new archive.",
        file=file_name,
        section=label,
        row=after_row + 1 if after_row else None,
        value=_reason(exc),
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, ParseError):
        return f"broken XML: {exc}"
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return "its checksum does not match its content, so rows already read may be wrong too"
    if isinstance(exc, EOFError):
        return "its compressed data ends too early"
    if isinstance(exc, zlib.error):
        return "its compressed data is corrupt"
    if isinstance(exc, ValueError | IndexError | KeyError | TypeError):
        return f"a cell's stored value does not fit its cell type: {exc}"
    return str(exc) or type(exc).__name__


# A zip (workbook or CSV archive) is checked by its declared sizes before anything is unpacked
# (openpyxl holds a workbook's whole shared-strings part in memory, and a few hundred KB can
# declare gigabytes of them), and a CSV archive again by the bytes it really unpacks while it is
# read. Each member, and the archive as a whole, may unpack to at most MAX_RATIO times its
# packed size once it passes RATIO_FLOOR: real sheets and CSV files stay far below that ratio,
# and a small file cannot cost much whatever its ratio.
MAX_UNPACKED_BYTES = 2 * 1024**3
MAX_RATIO = 200  # unpacked/packed
RATIO_FLOOR = 1024**2
# Blank lines (and blank spreadsheet rows) are skipped, but skipping costs time too: a 48 KB
# zip can hold 49 MB of them. Past this many in one section the file is refused.
MAX_BLANK_LINES = 100_000


def _ratio_limit(packed: int) -> int:
    return max(RATIO_FLOOR, MAX_RATIO * max(packed, 1))


def _mb(size: int) -> str:
    return f"{size / 1024**2:.0f} MB" if size >= 1024**2 else f"{size / 1024:.0f} KB"


def _unpacks_too_large(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except _DAMAGED:
        return None  # reported as unreadable by the reader that opens it
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        return f"unpacks to {total / 1024**3:.1f} GB"
    for member in members:
        if member.file_size > _ratio_limit(member.compress_size):
            return (
                f"holds '{member.filename}', which unpacks to {_mb(member.file_size)} from "
                f"{_mb(member.compress_size)} (more than {MAX_RATIO} times its packed size)"
            )
    packed = path.stat().st_size
    if total > _ratio_limit(packed):
        return f"unpacks to {_mb(total)} from {_mb(packed)} (more than {MAX_RATIO} times its size)"
    return None


class _Inflated(Exception):
    """A zip member unpacked to more than the ratio allows while it was read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Budget:
    """What the whole archive may still unpack to, counted as members are read."""

    left: int


class _Metered(io.BufferedIOBase):
    """A zip member that counts what it really unpacks, whatever its header declares."""

    def __init__(
        self, raw: IO[bytes], *, label: str, packed: int, budget: _Budget, archive_size: int
    ) -> None:
        self._raw = raw
        self._label = label
        self._packed = packed
        self._left = _ratio_limit(packed)
        self._budget = budget
        self._archive_size = archive_size

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._count(self._raw.read(-1 if size is None else size))

    def read1(self, size: int = -1) -> bytes:
        return self._count(self._raw.read(size))

    def _count(self, data: bytes) -> bytes:
        self._left -= len(data)
        self._budget.left -= len(data)
        if self._left < 0:
            raise _Inflated(
                f"'{self._label}' unpacks to more than {MAX_RATIO} times its packed size "
                f"({_mb(self._packed)})"
            )
        if self._budget.left < 0:
            raise _Inflated(
                f"the archive unpacks to more than {MAX_RATIO} times its size "
                f"({_mb(self._archive_size)})"
            )
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


def _inflated_problem(file_name: str, label: str, reason: str) -> Problem:
    return Problem(
        ProblemCode.UNREADABLE_FILE,
        f"The file '{file_name}' was not imported: {reason}, which no catalog file comes near "
        "(it is mostly blank or repeated). Remove the blank lines, or export the file again "
        "and import that.",
        file=file_name,
        section=label,
    )


def _too_many_blank(file_name: str, label: str, line: int) -> Problem:
    return Problem(
        ProblemCode.UNREADABLE_FILE,
        f"'{label}' holds more than {MAX_BLANK_LINES:,} blank lines (the last at line "
        f"{line:,}); Clew stopped reading it. Remove the blank lines and import again.",
        file=file_name,
        section=label,
        row=line,
    )


def _read_xlsx(
    path: Path, file_name: str, head: bytes, problem: ProblemSink, info: FileInfo
) -> Iterator[RawSection]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (*_DAMAGED, InvalidFileException, KeyError, ValueError) as exc:
        if head.startswith(b"PK"):
            damaged = isinstance(exc, _DAMAGED)
            problem(_damaged_workbook(file_name, _reason(exc) if damaged else None))
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
                hint = suggest(normalise_header(name), _SECTION_NAMES)
                problem(
                    Problem(
                        ProblemCode.UNKNOWN_SECTION,
                        f"The sheet '{name}' is not one Clew reads; its rows were not imported. "
                        f"Name it after one of the sections ({', '.join(_SECTION_NAMES)})"
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
                problem(_too_many_blank(file_name, name, number))
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
            info.version = _version(value)
        elif key == "format":
            info.format_name = str(value) if value is not None else None


def _version(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return -1


# CSV


def _decoder_for(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _read_csv_file(path: Path, file_name: str, problem: ProblemSink) -> Iterator[RawSection]:
    label = PurePosixPath(file_name).name
    yield from _csv_section(lambda: path.open("rb"), label, file_name, problem, from_zip=False)


def _read_csv_zip(path: Path, file_name: str, problem: ProblemSink) -> Iterator[RawSection]:
    try:
        archive = zipfile.ZipFile(path)
    except _DAMAGED:
        problem(
            Problem(
                ProblemCode.UNREADABLE_FILE,
                f"The file '{file_name}' is not a readable zip archive; zip the CSV files again.",
                file=file_name,
            )
        )
        return
    budget = _Budget(_ratio_limit(path.stat().st_size))
    with archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and not PurePosixPath(m.filename).name.startswith((".", "__"))
            and "__MACOSX" not in m.filename
        ]
        if not members:
            problem(
                Problem(
                    ProblemCode.EMPTY_FILE,
                    f"The zip archive '{file_name}' holds no "
                    "CSV files; put one CSV file per section in it.",
                    file=file_name,
                )
            )
        for member in members:
            label = PurePosixPath(member.filename).name
            if not label.lower().endswith((".csv", ".tsv", ".txt")):
                problem(
                    Problem(
                        ProblemCode.IGNORED_SHEET,
                        f"'{label}' in the zip archive is not a CSV file and was ignored.",
                        file=file_name,
                        section=label,
                    )
                )
                continue

            def opener(member: zipfile.ZipInfo = member, label: str = label) -> IO[bytes]:
                return _Metered(  # type: ignore[return-value]
                    archive.open(member),
                    label=label,
                    packed=member.compress_size,
                    budget=budget,
                    archive_size=path.stat().st_size,
                )

            try:
                yield from _csv_section(opener, label, file_name, problem, from_zip=True)
            except _Inflated as exc:
                problem(_inflated_problem(file_name, label, exc.reason))
                return
            except _DAMAGED as exc:
                # Damaged before its first row; damage further on is reported by its rows.
                problem(_damaged_member(file_name, label, 0, exc))
                return


def _csv_section(
    opener: Callable[[], IO[bytes]],
    label: str,
    file_name: str,
    problem: ProblemSink,
    *,
    from_zip: bool,
) -> Iterator[RawSection]:
    stem = PurePosixPath(label).stem
    binary = opener()
    head = binary.read(4)
    binary.close()
    if head.startswith(b"PK"):
        problem(
            Problem(
                ProblemCode.MALFORMED_CSV,
                f"'{label}' is an Excel workbook or zip archive, not CSV text; import workbooks "
                "with a name ending in .xlsx.",
                file=file_name,
                section=label,
            )
        )
        return
    encoding = _decoder_for(head)
    stream = io.TextIOWrapper(opener(), encoding=encoding, errors="strict", newline="")
    counter = _RowCounter()
    header_row = 1
    try:
        first = stream.readline(MAX_CSV_LINE + 1)
        while first and not first.strip():
            if header_row > MAX_BLANK_LINES:
                stream.close()
                problem(_too_many_blank(file_name, label, header_row))
                return
            first = stream.readline(MAX_CSV_LINE + 1)
            header_row += 1
    except UnicodeDecodeError:
        stream.close()
        problem(_encoding_problem(file_name, label, header_row))
        return
    if not first:
        stream.close()
        problem(
            Problem(
                ProblemCode.EMPTY_FILE,
                f"'{label}' holds no header row and no data; remove it, or add the section's "
                "header (see the template).",
                file=file_name,
                section=label,
            )
        )
        return
    delimiter = _delimiter(first)
    lines = _bounded_lines(first, stream)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        stream.close()
        problem(_csv_problem(file_name, label, header_row, exc))
        return
    except UnicodeDecodeError:
        # A quoted header cell running over several lines reads on past the first line.
        stream.close()
        problem(_encoding_problem(file_name, label, header_row))
        return
    section = section_for(stem) or _section_by_header(header)
    if section is None:
        stream.close()
        hint = suggest(normalise_header(stem), _SECTION_NAMES)
        where = "a zip archive" if from_zip else "a single CSV file"
        problem(
            Problem(
                ProblemCode.UNKNOWN_SECTION,
                f"Clew cannot tell which section '{label}' holds: in {where}, name each file after "
                f"its section ({', '.join(n + '.csv' for n in _SECTION_NAMES)})"
                + (f". Did you mean '{hint}.csv'?" if hint else "."),
                file=file_name,
                section=label,
                suggestion=f"{hint}.csv" if hint else None,
            )
        )
        return
    place = Place(file_name, section.name, label)

    def rows() -> Iterator[RawRow]:
        blank = 0
        try:
            for values in reader:
                counter.row += 1
                if any(v.strip() for v in values):
                    yield RawRow(counter.row, values)
                    continue
                blank += 1
                if blank > MAX_BLANK_LINES:
                    problem(_too_many_blank(file_name, label, counter.row))
                    raise StopFile()
        except _Inflated as exc:
            problem(_inflated_problem(file_name, label, exc.reason))
            raise StopFile() from None
        except UnicodeDecodeError:
            problem(_encoding_problem(file_name, label, counter.row + 1))
            raise StopFile() from None
        except csv.Error as exc:
            problem(_csv_problem(file_name, label, counter.row + 1, exc))
            raise StopFile() from None
        except _DAMAGED as exc:
            problem(_damaged_member(file_name, label, counter.row, exc))
            raise StopFile() from None
        finally:
            stream.close()

    counter.row = header_row
    yield RawSection(place, section, header, header_row, rows())


@dataclass
class _RowCounter:
    row: int = 0


# No line of a catalog file comes near this; without it one endless line (a million commas)
# would be read into memory whole before the reader could object.
MAX_CSV_LINE = 4 * 1024 * 1024


def _bounded_lines(first: str, stream: IO[str]) -> Iterator[str]:
    line = first
    while line:
        if len(line) > MAX_CSV_LINE:
            raise csv.Error(f"a line is longer than {MAX_CSV_LINE // 1024**2} MB")
        yield line
        line = stream.readline(MAX_CSV_LINE + 1)


def _delimiter(header_line: str) -> str:
    # Excel writes ';' in locales with a decimal comma, and some tools write tabs.
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _section_by_header(header: list[str]) -> Section | None:
    names = {normalise_header(h) for h in header}
    best, score = None, 0.0
    for section in SECTIONS:
        wanted = set(section.column_names)
        overlap = len(names & wanted) / max(len(names), 1)
        required = all(any(c in names for c in group) for group in section.required_columns)
        if required and overlap > score:
            best, score = section, overlap
    return best if score >= 0.5 else None


def _encoding_problem(file_name: str, label: str, row: int) -> Problem:
    return Problem(
        ProblemCode.WRONG_ENCODING,
        f"'{label}' is not UTF-8 text (the first bad character is near row {row}). In your "
        "spreadsheet program choose 'Save as' > 'CSV UTF-8 (comma delimited)' and import "
        "that file.",
        file=file_name,
        section=label,
        row=row,
    )


def _csv_problem(file_name: str, label: str, row: int, exc: csv.Error) -> Problem:
    reason = str(exc)
    if "NUL" in reason:
        plain = "it contains a NUL character, so it is probably not a text file"
    elif "end of data" in reason or "EOF" in reason:
        plain = 'a quoted value is never closed (a " is missing)'
    elif "expected" in reason and "after" in reason:
        plain = 'a quote (") appears inside a value without being doubled'
    else:
        plain = reason
    return Problem(
        ProblemCode.MALFORMED_CSV,
        f"Row {row} of '{label}' cannot be read: {plain}. Rows after it were not read; fix "
        'the quoting there (a " inside a value is written "") and import again.',
        file=file_name,
        section=label,
        row=row,
        value=reason,
    )


# JSON


class _Object(dict[str, Any]):
    """A JSON or YAML object whose keys name the same column more than once ('Table Name' and
    'table_name', or one key twice): a plain dict would silently keep the last value."""

    clashes: list[list[str]]


def _object(pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    named: dict[str, list[str]] = {}
    for key, _ in pairs:
        named.setdefault(normalise_header(key), []).append(str(key))
    clashes = [keys for keys in named.values() if len(keys) > 1]
    if not clashes:
        return {str(k): v for k, v in pairs}
    found = _Object((str(k), v) for k, v in pairs)
    found.clashes = clashes
    return found


def _clash_problem(place: Place, section: Section, row: RawRow, file_name: str) -> Problem | None:
    clashes = [
        keys
        for keys in getattr(row.values, "clashes", [])
        if normalise_header(keys[0]) in section.column_names
    ]
    if not clashes:
        return None
    keys = clashes[0]
    column = normalise_header(keys[0])
    if len(set(keys)) == 1:
        what = f"the key '{keys[0]}' appears {len(keys)} times"
    else:
        listed = ", ".join(f"'{k}'" for k in keys[:-1]) + f" and '{keys[-1]}'"
        what = f"the keys {listed} all name the column '{column}'"
        what = what.replace(" all ", " both ") if len(keys) == 2 else what
    return Problem(
        ProblemCode.DUPLICATE_COLUMN,
        f"{place.at(row.row, row.line)}: {what}, so Clew cannot tell which value you mean; "
        "keep one of them. The row was not imported.",
        file=file_name,
        section=section.name,
        row=row.row,
        line=row.line,
        column=column,
        value=", ".join(keys),
    )


class _JsonStream:
    """An incremental reader for a JSON object whose values are arrays of small objects: each
    item is decoded on its own, so memory holds one item, not the document."""

    CHUNK = 1 << 16
    # Far above any real item (a transformation's SQL is at most 100,000 characters); without
    # a bound, one unclosed quote would make the reader take in the rest of the file.
    MAX_ITEM = 4 * 1024 * 1024

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self.line = 1
        self._decoder = json.JSONDecoder(object_pairs_hook=_object)

    def _fill(self) -> bool:
        if self._eof:
            return False
        # Reading as much again as is buffered (up to the cap) keeps retrying a long item
        # linear, not quadratic.
        held = len(self._buffer) - self._pos
        chunk = self._stream.read(max(self.CHUNK, min(held, self.MAX_ITEM - held)))
        if not chunk:
            self._eof = True
            return False
        if self._pos:
            self._buffer = self._buffer[self._pos :]
            self._pos = 0
        self._buffer += chunk
        return True

    def _advance(self, to: int) -> None:
        self.line += self._buffer.count("\n", self._pos, to)
        self._pos = to

    def peek(self) -> str:
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in " \t\r\n":
                self._advance(self._pos + 1)
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def take(self, expected: str) -> None:
        char = self.peek()
        if char != expected:
            found = f"'{char}'" if char else "the end of the file"
            raise _JsonError(f"expected '{expected}' but found {found}", self.line)
        self._advance(self._pos + 1)

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                line = self.line + self._buffer.count("\n", self._pos, exc.pos)
                if _more_may_help(exc, len(self._buffer)):
                    if len(self._buffer) - self._pos > self.MAX_ITEM:
                        reason = exc.msg.lower().removesuffix(" at")
                        raise _JsonError(
                            f"the value starting at line {self.line} is larger than "
                            f"{self.MAX_ITEM // 1024**2} MB or never ends ({reason} at "
                            f"line {line}), so it was not read",
                            self.line,
                        ) from None
                    if self._fill():
                        continue
                raise _JsonError(exc.msg.lower(), line) from None
            except RecursionError:
                # The decoder recurses per level of nesting; the format needs three.
                raise _JsonError(
                    f"the value starting at line {self.line} is nested too deeply; the format "
                    "needs only sections holding rows of plain values",
                    self.line,
                ) from None
            if end == len(self._buffer) and self._fill():
                continue  # a number may go on in the next chunk
            self._advance(end)
            return value


def _more_may_help(exc: json.JSONDecodeError, buffered: int) -> bool:
    """Whether the error may only mean the item goes on past what is buffered: an unclosed
    string, or a failure within a token's length of the end. Anything earlier is a real
    mistake, reported at once instead of reading on."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= buffered - 16


class _JsonError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _text_stream(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        head = probe.read(4)
    return io.TextIOWrapper(path.open("rb"), encoding=_decoder_for(head), errors="strict")


def _read_json(
    path: Path, file_name: str, problem: ProblemSink, info: FileInfo
) -> Iterator[RawSection]:
    stream = _text_stream(path)
    parser = _JsonStream(stream)

    def malformed(message: str, line: int) -> Problem:
        return Problem(
            ProblemCode.MALFORMED_JSON,
            f"The JSON in '{file_name}' is malformed at line {line}: {message}. Check for a "
            "missing comma, quote or bracket there.",
            file=file_name,
            line=line,
            value=message,
        )

    try:
        try:
            if parser.peek() != "{":
                found = parser.peek()
                raise _JsonError(
                    'the document must be an object such as {"tables": [...]}, found '
                    + (f"'{found}'" if found else "nothing"),
                    parser.line,
                )
            parser.take("{")
            first = True
            while True:
                if parser.peek() == "}":
                    parser.take("}")
                    break
                if not first:
                    parser.take(",")
                first = False
                key_line = parser.line
                key = parser.value()
                if not isinstance(key, str):
                    raise _JsonError("expected a section name in quotes", key_line)
                parser.take(":")
                section = section_for(key)
                if section is None:
                    value = parser.value()
                    _json_meta(key, value, key_line, file_name, problem, info)
                    continue
                if parser.peek() == "n":
                    parser.value()  # "tables": null is an empty section
                    continue
                place = Place(file_name, section.name, key, unit="Item")
                info.sections.append(section.name)
                items = _json_items(parser, malformed, problem, place, section)
                yield RawSection(place, section, None, None, items, False)
        except _JsonError as exc:
            problem(malformed(exc.message, exc.line))
        except UnicodeDecodeError:
            problem(
                Problem(
                    ProblemCode.WRONG_ENCODING,
                    f"'{file_name}' is not UTF-8 text (near line {parser.line}); save it as UTF-8.",
                    file=file_name,
                    line=parser.line,
                )
            )
    finally:
        stream.close()


def _json_items(
    parser: _JsonStream,
    malformed: Callable[[str, int], Problem],
    problem: ProblemSink,
    place: Place,
    section: Section,
) -> Iterator[RawRow]:
    number = 0
    try:
        parser.take("[")
        while True:
            if parser.peek() == "]":
                parser.take("]")
                return
            if number:
                parser.take(",")
            number += 1
            parser.peek()
            line = parser.line
            yield _checked_item(RawRow(number, parser.value(), line), place, section, problem)
    except _JsonError as exc:
        problem(malformed(exc.message, exc.line))
        raise StopFile() from None


def _checked_item(row: RawRow, place: Place, section: Section, problem: ProblemSink) -> RawRow:
    clash = _clash_problem(place, section, row, place.file)
    if clash is not None:
        problem(clash)
        row.invalid = True
    return row


def _json_meta(
    key: str, value: Any, line: int | None, file_name: str, problem: ProblemSink, info: FileInfo
) -> None:
    normal = normalise_header(key)
    if normal == "version":
        info.version = _version(value)
    elif normal == "format":
        info.format_name = str(value)
    elif normal not in _META_KEYS:
        hint = suggest(normal, _SECTION_NAMES)
        problem(
            Problem(
                ProblemCode.UNKNOWN_SECTION,
                f"'{key}' (line {line}) is not a section Clew reads; its content was not imported. "
                f"The sections are {', '.join(_SECTION_NAMES)}"
                + (f". Did you mean '{hint}'?" if hint else "."),
                file=file_name,
                section=key,
                line=line,
                suggestion=hint,
            )
        )


# YAML


def _read_yaml(
    path: Path, file_name: str, problem: ProblemSink, info: FileInfo
) -> Iterator[RawSection]:
    stream = _text_stream(path)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(stream)
    events = _YamlEvents(loader, path)
    try:
        try:
            events.expect(yaml.StreamStartEvent)
            if events.check(yaml.StreamEndEvent):
                problem(
                    Problem(
                        ProblemCode.EMPTY_FILE, f"The file '{file_name}' is empty.", file=file_name
                    )
                )
                return
            events.expect(yaml.DocumentStartEvent)
            if not events.check(yaml.MappingStartEvent):
                line = events.line()
                raise _YamlError(
                    "the document must be a mapping such as 'tables:' followed by a list of rows",
                    line,
                )
            events.expect(yaml.MappingStartEvent)
            while not events.check(yaml.MappingEndEvent):
                key_line = events.line()
                key = events.build()
                section = section_for(str(key)) if isinstance(key, str) else None
                if section is None:
                    value = events.build()
                    _json_meta(str(key), value, key_line, file_name, problem, info)
                    continue
                if not events.check(yaml.SequenceStartEvent):
                    value = events.build()
                    if value not in (None, ""):
                        raise _YamlError(
                            f"'{key}' must be a list of rows (lines starting with '- ')", key_line
                        )
                    continue
                place = Place(file_name, section.name, str(key), unit="Item")
                info.sections.append(section.name)
                items = _yaml_items(events, file_name, problem, place, section)
                yield RawSection(place, section, None, None, items, False)
        except (_YamlError, yaml.YAMLError) as exc:
            problem(_yaml_problem(path, file_name, exc))
        except UnicodeDecodeError:
            problem(
                Problem(
                    ProblemCode.WRONG_ENCODING,
                    f"'{file_name}' is not UTF-8 text; save it as UTF-8.",
                    file=file_name,
                )
            )
    finally:
        loader.dispose()
        stream.close()


_MAX_YAML_DEPTH = 50
_MAX_YAML_ITEM = 4 * 1024 * 1024


# What can open or close a flow collection, or hide a bracket from the count.
_FLOW_TOKENS = re.compile(r"""[\[\]{}"'#\n]""")


def _flow_nesting(path: Path, upto_line: int) -> int:
    """The deepest flow nesting (`[`, `{`) in the file's first `upto_line` lines, skipping
    quoted text and comments; a bracket inside a plain word (`a[1]`) does not open one."""
    deepest = depth = 0
    quote: str | None = None
    line = 1
    with _text_stream(path) as stream:
        for chunk_line in stream:
            for match in _FLOW_TOKENS.finditer(chunk_line):
                char, at = match.group(), match.start()
                if char == "\n":
                    continue
                if quote is not None:
                    if char == quote and not (quote == '"' and _escaped(chunk_line, at)):
                        quote = None
                    continue
                before = chunk_line[:at].rstrip()[-1:]
                starts_token = before in ("", ":", "-", ",", "[", "{", "?")
                if char == "#" and (at == 0 or chunk_line[at - 1] in " \t"):
                    break
                if char in "\"'" and starts_token:
                    quote = char
                elif char in "[{" and (depth > 0 or starts_token):
                    depth += 1
                    deepest = max(deepest, depth)
                    if deepest > _MAX_YAML_DEPTH:
                        return deepest
                elif char in "]}" and depth > 0:
                    depth -= 1
            if line >= upto_line:
                break
            line += 1
    return deepest


def _escaped(text: str, at: int) -> bool:
    backslashes = len(text[:at]) - len(text[:at].rstrip("\\"))
    return backslashes % 2 == 1


class _YamlError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _YamlEvents:
    """Builds plain values from parser events one item at a time (the C parser exposes no
    composer, and composing the whole document would hold it all in memory)."""

    def __init__(self, loader: Any, path: Path) -> None:
        self._loader = loader
        self.path = path
        self._anchors: dict[str, Any] = {}
        # Where the item being built starts, to refuse one too large to hold.
        self.item_start = 0
        self.item_line: int | None = None

    def check(self, kind: type) -> bool:
        return bool(self._loader.check_event(kind))

    def line(self) -> int | None:
        event = self._loader.peek_event()
        mark = getattr(event, "start_mark", None)
        return mark.line + 1 if mark is not None else None

    def expect(self, kind: type) -> Any:
        if not self._loader.check_event(kind):
            raise _YamlError(f"unexpected {type(self._loader.peek_event()).__name__}", self.line())
        return self._loader.get_event()

    def index(self) -> int:
        return int(self._loader.peek_event().start_mark.index)

    def build(self, depth: int = 0) -> Any:
        event = self._loader.get_event()
        if event.start_mark.index - self.item_start > _MAX_YAML_ITEM:
            raise _YamlError(
                f"the item starting at line {self.item_line} is larger than "
                f"{_MAX_YAML_ITEM // 1024**2} MB, so it was not read",
                event.start_mark.line + 1,
            )
        if depth > _MAX_YAML_DEPTH:
            # The format nests three levels; this bounds the recursion below.
            raise _YamlError(
                f"values nested more than {_MAX_YAML_DEPTH} levels deep; the format needs "
                "only sections holding rows of plain values",
                event.start_mark.line + 1,
            )
        if isinstance(event, yaml.AliasEvent):
            # The format never needs them, and nested aliases expand exponentially.
            raise _YamlError(
                f"aliases (*{event.anchor}) are not supported in import files; write the "
                "values out in full",
                event.start_mark.line + 1,
            )
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event)
        elif isinstance(event, yaml.SequenceStartEvent):
            value = []
            while not self._loader.check_event(yaml.SequenceEndEvent):
                value.append(self.build(depth + 1))
            self._loader.get_event()
        elif isinstance(event, yaml.MappingStartEvent):
            pairs = []
            while not self._loader.check_event(yaml.MappingEndEvent):
                key = self.build(depth + 1)
                pairs.append((key if isinstance(key, str) else str(key), self.build(depth + 1)))
            self._loader.get_event()
            value = _object(pairs)
        else:
            raise _YamlError(f"unexpected {type(event).__name__}", event.start_mark.line + 1)
        anchor = getattr(event, "anchor", None)
        if anchor:
            self._anchors[anchor] = value
        return value

    def _scalar(self, event: Any) -> Any:
        loader = self._loader
        tag = event.tag
        if tag is None or tag == "!":
            tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        construct = loader.yaml_constructors.get(tag) or loader.yaml_constructors.get(None)
        # Called directly, not through construct_object, which would cache every node.
        return construct(loader, node)


def _yaml_items(
    events: _YamlEvents, file_name: str, problem: ProblemSink, place: Place, section: Section
) -> Iterator[RawRow]:
    try:
        events.expect(yaml.SequenceStartEvent)
        number = 0
        while not events.check(yaml.SequenceEndEvent):
            number += 1
            line = events.line()
            events.item_start, events.item_line = events.index(), line
            yield _checked_item(RawRow(number, events.build(), line), place, section, problem)
        events.expect(yaml.SequenceEndEvent)
    except (_YamlError, yaml.YAMLError) as exc:
        problem(_yaml_problem(events.path, file_name, exc))
        raise StopFile() from None


def _yaml_problem(path: Path, file_name: str, exc: Exception) -> Problem:
    if isinstance(exc, _YamlError):
        line, reason = exc.line, exc.message
    else:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        # The library may stop deep nesting before Clew's own check does, in its own words
        # (which change between releases): Clew measures the nesting itself and says so.
        if line is not None and _flow_nesting(path, line) > _MAX_YAML_DEPTH:
            reason = (
                f"values nested more than {_MAX_YAML_DEPTH} levels deep; the format needs "
                "only sections holding rows of plain values"
            )
    return Problem(
        ProblemCode.MALFORMED_YAML,
        f"The YAML in '{file_name}' is malformed"
        + (f" at line {line}" if line else "")
        + f": {reason}. Check the indentation, dashes and quotes there.",
        file=file_name,
        line=line,
        value=str(reason),
    )


def format_name_ok(info: FileInfo) -> bool:
    return info.format_name in (None, FORMAT_NAME)
