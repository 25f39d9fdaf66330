"""Writing the four encodings a page of rows at a time.

A writer is fed section by section (`start_section`, `rows` any number of times,
`end_section`) and hands back the bytes ready to send after each call, so an export streams
while it reads the catalog. Excel cannot be streamed (a workbook is a zip whose directory comes
last): openpyxl's write-only mode keeps rows on disk, and `finish` streams the saved file.
Spreadsheet cells that a spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

import yaml

from graph_api.transfer.format import (
    ABOUT,
    FORMAT_NAME,
    FORMAT_VERSION,
    Encoding,
    Section,
    write_cell,
)

CHUNK = 1 << 16
_CSV_BOM = "\ufeff"  # so that Excel opens the UTF-8 text as UTF-8


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


def _meta_items(meta: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("format", FORMAT_NAME), ("version", FORMAT_VERSION), *meta.items()]


class JsonWriter(Writer):
    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        self._first_row = True

    def start(self) -> bytes:
        head = ",\n".join(
            f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
            for k, v in _meta_items(self.meta)
        )
        return ("{\n" + head).encode()

    def start_section(self, section: Section) -> bytes:
        super().start_section(section)
        self._first_row = True
        return f',\n  "{section.name}": ['.encode()

    def rows(self, rows: list[dict[str, Any]]) -> bytes:
        assert self.section is not None
        out = []
        for row in rows:
            cells = {
                c.name: write_cell(c, row.get(c.name), Encoding.JSON) for c in self.section.columns
            }
            out.append(
                ("\n    " if self._first_row else ",\n    ") + json.dumps(cells, ensure_ascii=False)
            )
            self._first_row = False
        return "".join(out).encode()

    def end_section(self) -> bytes:
        return b"]" if self._first_row else b"\n  ]"

    def finish(self) -> Iterator[bytes]:
        yield b"\n}\n"


class YamlWriter(Writer):
    _dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        self._empty = True

    def _dump(self, value: Any) -> str:
        return yaml.dump(
            value,
            Dumper=self._dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=10_000,
        )

    def start(self) -> bytes:
        return self._dump(dict(_meta_items(self.meta))).encode()

    def start_section(self, section: Section) -> bytes:
        super().start_section(section)
        self._empty = True
        return f"{section.name}:".encode()

    def rows(self, rows: list[dict[str, Any]]) -> bytes:
        assert self.section is not None
        if not rows:
            return b""
        items = [
            {c.name: write_cell(c, row.get(c.name), Encoding.YAML) for c in self.section.columns}
            for row in rows
        ]
        text = ("\n" if self._empty else "") + self._dump(items)
        self._empty = False
        return text.encode()

    def end_section(self) -> bytes:
        return b" []\n" if self._empty else b""


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


class XlsxWriter(Writer):
    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        import openpyxl

        self._workbook = openpyxl.Workbook(write_only=True)
        self._sheet: Any = None
        self._path: str | None = None
        about = self._workbook.create_sheet(ABOUT)
        for key, value in _meta_items(meta):
            about.append([key, _plain(value)])

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


def _plain(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _xlsx_safe(value: Any) -> Any:
    # Control characters are not allowed in the XML of a workbook; they cannot be kept.
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
