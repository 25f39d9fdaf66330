"""One codec per encoding (Excel, CSV or CSV files in a zip, JSON, YAML), each reader next
to its writer; this module picks the codec for a file or an export.

Readers yield ``RawSection``s whose ``rows`` read as they go (openpyxl in read-only mode, the
csv module over a decoding stream, an incremental JSON parser, YAML events), never the whole
file at once; they only see structure, what a cell means is `validate`'s job, and problems
that stop a file or a section from being read are handed to ``problem``. Writers are fed
section by section and hand back the bytes ready to send after each call, so an export
streams while it reads the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from graph_api.interchange.codecs.common import (
    FileInfo,
    ProblemSink,
    RawRow,
    RawSection,
    StopFile,
    Writer,
)
from graph_api.interchange.codecs.csv import CsvWriter, CsvZipWriter, read_csv_file, read_csv_zip
from graph_api.interchange.codecs.json import JsonWriter, read_json
from graph_api.interchange.codecs.xlsx import XlsxWriter, read_xlsx
from graph_api.interchange.codecs.yaml import YamlWriter, read_yaml
from graph_api.interchange.codecs.zips import (
    damaged_workbook,
    holds_only_csv,
    holds_workbook_parts,
    is_workbook,
    opens_as_zip,
    unpacks_too_large,
)
from graph_api.interchange.format import Encoding, Section
from graph_api.interchange.report import Problem, ProblemCode

__all__ = [
    "FileInfo",
    "RawRow",
    "RawSection",
    "StopFile",
    "Writer",
    "create_writer",
    "detect_encoding",
    "file_suffix",
    "media_type",
    "read",
]


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
    if head.startswith(b"PK") and (too_large := unpacks_too_large(path)):
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
        if head.startswith(b"PK") and not is_workbook(path):
            if not opens_as_zip(path) and not holds_only_csv(path):
                problem(damaged_workbook(file_name))
                return
            info.encoding = Encoding.CSV
            yield from read_csv_zip(path, file_name, problem)
            return
        yield from read_xlsx(path, file_name, head, problem, info)
    elif encoding is Encoding.CSV:
        if head.startswith(b"PK"):
            if not opens_as_zip(path) and holds_workbook_parts(path):
                problem(damaged_workbook(file_name))
                return
            if is_workbook(path):
                problem(
                    Problem(
                        ProblemCode.MALFORMED_CSV,
                        f"The file '{file_name}' is an Excel workbook, not CSV text; import it "
                        "with the name ending in .xlsx (or choose the format XLSX).",
                        file=file_name,
                    )
                )
                return
            yield from read_csv_zip(path, file_name, problem)
            return
        yield from read_csv_file(path, file_name, problem)
    elif encoding is Encoding.JSON:
        yield from read_json(path, file_name, problem, info)
    else:
        yield from read_yaml(path, file_name, problem, info)


def media_type(encoding: Encoding, *, single_csv: bool = False) -> str:
    return {
        Encoding.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Encoding.CSV: "text/csv; charset=utf-8" if single_csv else "application/zip",
        Encoding.JSON: "application/json",
        Encoding.YAML: "application/yaml",
    }[encoding]


def file_suffix(encoding: Encoding, *, single_csv: bool = False) -> str:
    if encoding is Encoding.CSV:
        return "csv" if single_csv else "zip"
    return encoding.value


def create_writer(
    encoding: Encoding, meta: dict[str, Any], *, single_section: Section | None = None
) -> Writer:
    if encoding is Encoding.JSON:
        return JsonWriter(meta)
    if encoding is Encoding.YAML:
        return YamlWriter(meta)
    if encoding is Encoding.CSV:
        return CsvWriter(meta) if single_section else CsvZipWriter(meta)
    return XlsxWriter(meta)
