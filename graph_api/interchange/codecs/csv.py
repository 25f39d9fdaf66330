"""CSV: one section in a file, or one file per section in a zip; UTF-8 with a byte order mark
so that Excel opens it as UTF-8."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from graph_api.interchange.cells import write_cell
from graph_api.interchange.codecs.common import (
    DAMAGED,
    MAX_BLANK_LINES,
    SECTION_NAMES,
    ProblemSink,
    RawRow,
    RawSection,
    StopFile,
    Writer,
    decoder_for,
    too_many_blank,
)
from graph_api.interchange.codecs.zips import (
    Budget,
    Inflated,
    Metered,
    damaged_member,
    inflated_problem,
    ratio_limit,
)
from graph_api.interchange.format import (
    SECTIONS,
    Encoding,
    Section,
    normalise_header,
    section_for,
    suggest,
)
from graph_api.interchange.report import Place, Problem, ProblemCode

# A transformation's SQL can be long; the csv module's default limit is 128 KiB.
csv.field_size_limit(max(csv.field_size_limit(), 4 * 1024 * 1024))


def read_csv_file(path: Path, file_name: str, problem: ProblemSink) -> Iterator[RawSection]:
    label = PurePosixPath(file_name).name
    yield from _csv_section(lambda: path.open("rb"), label, file_name, problem, from_zip=False)


def read_csv_zip(path: Path, file_name: str, problem: ProblemSink) -> Iterator[RawSection]:
    try:
        archive = zipfile.ZipFile(path)
    except DAMAGED:
        problem(
            Problem(
                ProblemCode.UNREADABLE_FILE,
                f"The file '{file_name}' is not a readable zip archive; zip the CSV files again.",
                file=file_name,
            )
        )
        return
    budget = Budget(ratio_limit(path.stat().st_size))
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
                return Metered(  # type: ignore[return-value]
                    archive.open(member),
                    label=label,
                    packed=member.compress_size,
                    budget=budget,
                    archive_size=path.stat().st_size,
                )

            try:
                yield from _csv_section(opener, label, file_name, problem, from_zip=True)
            except Inflated as exc:
                problem(inflated_problem(file_name, label, exc.reason))
                return
            except DAMAGED as exc:
                # Damaged before its first row; damage further on is reported by its rows.
                problem(damaged_member(file_name, label, 0, exc))
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
    encoding = decoder_for(head)
    stream = io.TextIOWrapper(opener(), encoding=encoding, errors="strict", newline="")
    counter = _RowCounter()
    header_row = 1
    try:
        first = stream.readline(MAX_CSV_LINE + 1)
        while first and not first.strip():
            if header_row > MAX_BLANK_LINES:
                stream.close()
                problem(too_many_blank(file_name, label, header_row))
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
        hint = suggest(normalise_header(stem), SECTION_NAMES)
        where = "a zip archive" if from_zip else "a single CSV file"
        problem(
            Problem(
                ProblemCode.UNKNOWN_SECTION,
                f"Clew cannot tell which section '{label}' holds: in {where}, name each file after "
                f"its section ({', '.join(n + '.csv' for n in SECTION_NAMES)})"
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
                    problem(too_many_blank(file_name, label, counter.row))
                    raise StopFile()
        except Inflated as exc:
            problem(inflated_problem(file_name, label, exc.reason))
            raise StopFile() from None
        except UnicodeDecodeError:
            problem(_encoding_problem(file_name, label, counter.row + 1))
            raise StopFile() from None
        except csv.Error as exc:
            problem(_csv_problem(file_name, label, counter.row + 1, exc))
            raise StopFile() from None
        except DAMAGED as exc:
            problem(damaged_member(file_name, label, counter.row, exc))
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


_CSV_BOM = "\ufeff"  # so that Excel opens the UTF-8 text as UTF-8


class _Sink(io.RawIOBase):
    """Collects what zipfile writes so it can be sent as it comes; not seekable, so zipfile
    writes data descriptors instead of going back to patch headers."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._chunks.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _csv_text(section: Section, rows: list[dict[str, Any]], *, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(section.column_names)
    for row in rows:
        writer.writerow([write_cell(c, row.get(c.name), Encoding.CSV) for c in section.columns])
    return buffer.getvalue()


class CsvWriter(Writer):
    """One section as one CSV file."""

    def start_section(self, section: Section) -> bytes:
        super().start_section(section)
        return (_CSV_BOM + _csv_text(section, [], header=True)).encode()

    def rows(self, rows: list[dict[str, Any]]) -> bytes:
        assert self.section is not None
        return _csv_text(self.section, rows, header=False).encode()


class CsvZipWriter(Writer):
    """Every section as `<section>.csv` in one zip archive, streamed."""

    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED)
        self._member: Any = None

    def start_section(self, section: Section) -> bytes:
        super().start_section(section)
        self._member = self._zip.open(f"{section.name}.csv", "w", force_zip64=True)
        self._member.write((_CSV_BOM + _csv_text(section, [], header=True)).encode())
        return self._sink.take()

    def rows(self, rows: list[dict[str, Any]]) -> bytes:
        assert self.section is not None
        self._member.write(_csv_text(self.section, rows, header=False).encode())
        return self._sink.take()

    def end_section(self) -> bytes:
        self._member.close()
        self._member = None
        return self._sink.take()

    def finish(self) -> Iterator[bytes]:
        self._zip.close()
        yield self._sink.take()
