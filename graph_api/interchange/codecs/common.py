"""What every codec shares: the raw rows and sections readers yield, the writer's contract,
and small helpers for text, versions and keyed objects."""

from __future__ import annotations

import codecs
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from graph_api.interchange.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    SECTIONS,
    Encoding,
    Section,
    normalise_header,
)
from graph_api.interchange.report import Place, Problem, ProblemCode

ProblemSink = Callable[[Problem], None]


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


SECTION_NAMES = [s.name for s in SECTIONS]


META_KEYS = {"format", "version", "exported_at", "generated_at", "filters"}


# What a damaged zip member (bad CRC, cut-off or corrupt deflate data) or a damaged sheet XML
# raises while it is read; openpyxl parses sheets with xml.etree (neither lxml nor defusedxml is
# installed), so a broken sheet is an ElementTree ParseError.
# What reading a damaged zip member raises: besides the zip module's own errors, a corrupt
# header offset makes the seek fail (OSError) and a garbled "version needed" byte is
# NotImplementedError. The file read is always the import's own spooled copy.
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, ParseError, OSError, NotImplementedError)


def reason_of(exc: Exception) -> str:
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


def version_number(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return -1


def decoder_for(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def text_stream(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        head = probe.read(4)
    return io.TextIOWrapper(path.open("rb"), encoding=decoder_for(head), errors="strict")


def too_many_blank(file_name: str, label: str, line: int) -> Problem:
    return Problem(
        ProblemCode.UNREADABLE_FILE,
        f"'{label}' holds more than {MAX_BLANK_LINES:,} blank lines (the last at line "
        f"{line:,}); Clew stopped reading it. Remove the blank lines and import again.",
        file=file_name,
        section=label,
        row=line,
    )


# Blank lines (and blank spreadsheet rows) are skipped, but skipping costs time too: a 48 KB
# zip can hold 49 MB of them. Past this many in one section the file is refused.
MAX_BLANK_LINES = 100_000


class _Object(dict[str, Any]):
    """A JSON or YAML object whose keys name the same column more than once ('Table Name' and
    'table_name', or one key twice): a plain dict would silently keep the last value."""

    clashes: list[list[str]]


def json_object(pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
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


def checked_item(row: RawRow, place: Place, section: Section, problem: ProblemSink) -> RawRow:
    clash = _clash_problem(place, section, row, place.file)
    if clash is not None:
        problem(clash)
        row.invalid = True
    return row


class Writer:
    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.section: Section | None = None

    def start(self) -> bytes:
        return b""

    def start_section(self, section: Section) -> bytes:
        self.section = section
        return b""

    def rows(self, rows: list[dict[str, Any]]) -> bytes:
        raise NotImplementedError

    def end_section(self) -> bytes:
        return b""

    def finish(self) -> Iterator[bytes]:
        yield b""

    def close(self) -> None:
        """Release temporary files, also when the export is abandoned half way."""


def meta_items(meta: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("format", FORMAT_NAME), ("version", FORMAT_VERSION), *meta.items()]


CHUNK = 1 << 16


def plain(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value
