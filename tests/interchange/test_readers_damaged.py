"""Files damaged on the way (a sheet's XML cut, a zip member with a bad checksum or corrupt
compressed data, a download cut in half, a JSON quote never closed) and rows that name a
column twice: each is reported in plain words, the import applies nothing, and no file makes
the import fail with an internal error."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_api.interchange.report import Outcome, Problem, ProblemCode
from graph_api.services.imports import ImportMode, ImportService
from graph_api.store.client import Store
from tests.interchange.conftest import by_code, count, run_import, workbook

TABLE_ROWS = [["schema", "name", "description"]] + [
    ["sales", f"table_{i:05}", f"Table number {i} with some words"] for i in range(3000)
]
SOURCE_ROWS = [["name", "type"], ["warehouse", "POSTGRESQL"]]


def _rewrite(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The same zip with one member's content changed (and a correct directory)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as old,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info)))
    return out.getvalue()


def _damage(data: bytes, member: str, how: str) -> bytes:
    """Damage one member's bytes in place, as a bad disk or a broken copy does: a checksum
    that no longer matches, or compressed data overwritten."""
    damaged = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    local = info.header_offset
    start = local + 30 + int.from_bytes(data[local + 26 : local + 28], "little")
    start += int.from_bytes(data[local + 28 : local + 30], "little")
    if how == "checksum":
        damaged[local + 14] ^= 0xFF
        at = data.find(b"PK\x01\x02")
        while at != -1:
            length = int.from_bytes(data[at + 28 : at + 30], "little")
            if data[at + 46 : at + 46 + length].decode() == member:
                damaged[at + 16] ^= 0xFF
            at = data.find(b"PK\x01\x02", at + 4)
    else:
        damaged[start + 10 : start + info.compress_size - 2] = b"\xff" * (info.compress_size - 12)
    return bytes(damaged)


def _catalog_workbook(tmp_path: Path) -> bytes:
    path = workbook(tmp_path / "built.xlsx", {"sources": SOURCE_ROWS, "tables": TABLE_ROWS})
    return path.read_bytes()


def _catalog_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sources.csv", "name,type\nwarehouse,POSTGRESQL\n")
        archive.writestr(
            "tables.csv", "".join(",".join(r) + "\n" for r in TABLE_ROWS).replace("sales", "s")
        )
    return buffer.getvalue()


def _sheet_member(data: bytes, sheet: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    # openpyxl writes the sheets in order as sheet1.xml, sheet2.xml, ...
    index = ["sources", "tables"].index(sheet) + 1
    member = f"xl/worksheets/sheet{index}.xml"
    assert member in names
    return member


def _syntax_problems(problems: list[Problem]) -> list[Problem]:
    return [
        p for p in problems if p.code in (ProblemCode.UNREADABLE_FILE, ProblemCode.NOT_A_WORKBOOK)
    ]


async def _import(transfer: ImportService, path: Path) -> Any:
    job = await run_import(transfer, path)  # asserts the job did not fail internally
    assert job.report.outcome is Outcome.NOTHING_APPLIED
    return job


async def test_a_sheet_with_broken_xml_is_reported_by_name_and_nothing_is_applied(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    good = _catalog_workbook(tmp_path)
    member = _sheet_member(good, "tables")
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(_rewrite(good, lambda n, d: d[: len(d) // 2] if n == member else d))

    job = await _import(transfer, path)

    [problem] = _syntax_problems(job.report.problems)
    assert problem.code is ProblemCode.UNREADABLE_FILE
    assert "The sheet 'tables' of 'catalog.xlsx' is damaged" in problem.message
    assert "save it again as 'Excel Workbook (.xlsx)'" in problem.message
    # The rows before the damage were read, but nothing is written from a damaged file.
    assert problem.row is not None and problem.row > 100
    assert await count(store, "Table") == 0
    assert await count(store, "Source") == 0


@pytest.mark.parametrize("how", ["checksum", "deflate"])
async def test_a_workbook_with_a_damaged_zip_member_is_reported_as_damaged(
    transfer: ImportService, tmp_path: Path, how: str
) -> None:
    good = _catalog_workbook(tmp_path)
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(_damage(good, _sheet_member(good, "tables"), how))

    job = await _import(transfer, path)

    [problem] = _syntax_problems(job.report.problems)
    assert "'catalog.xlsx'" in problem.message and "damaged" in problem.message
    assert "save it again as 'Excel Workbook (.xlsx)'" in problem.message
    assert "CSV" not in problem.message


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("checksum", "its checksum does not match its content"),
        ("deflate", "its compressed data is corrupt"),
    ],
)
async def test_a_csv_zip_with_a_damaged_member_names_the_member(
    transfer: ImportService, store: Store, tmp_path: Path, how: str, reason: str
) -> None:
    path = tmp_path / "catalog.zip"
    path.write_bytes(_damage(_catalog_zip(), "tables.csv", how))

    job = await _import(transfer, path)

    [problem] = _syntax_problems(job.report.problems)
    assert problem.message.startswith(
        "'tables.csv' in the zip archive 'catalog.zip' is damaged and cannot be read"
    )
    assert reason in problem.message
    assert "zip them again" in problem.message
    assert await count(store, "Table") == 0


async def test_a_workbook_cut_in_half_is_a_damaged_workbook_not_a_bad_csv_zip(
    transfer: ImportService, tmp_path: Path
) -> None:
    good = _catalog_workbook(tmp_path)
    named_xlsx = tmp_path / "catalog.xlsx"
    named_xlsx.write_bytes(good[: len(good) // 2])
    # Renamed, it is still recognised by the workbook parts its first bytes name.
    named_zip = tmp_path / "download.zip"
    named_zip.write_bytes(good[: len(good) // 2])

    for path in (named_xlsx, named_zip):
        job = await _import(transfer, path)

        [problem] = job.report.problems
        assert problem.code is ProblemCode.NOT_A_WORKBOOK
        assert problem.message.startswith(
            f"The Excel workbook '{path.name}' is damaged or incomplete"
        )
        assert "zip" not in problem.message.split(".")[0]
        assert "it may have been cut off" in problem.message


async def test_a_csv_zip_cut_in_half_is_still_reported_as_a_zip(
    transfer: ImportService, tmp_path: Path
) -> None:
    data = _catalog_zip()
    path = tmp_path / "catalog.zip"
    path.write_bytes(data[: len(data) // 2])

    job = await _import(transfer, path)

    [problem] = job.report.problems
    assert problem.code is ProblemCode.UNREADABLE_FILE
    assert "not a readable zip archive" in problem.message


async def test_a_json_item_larger_than_the_cap_is_reported_not_read_into_memory(
    transfer: ImportService, tmp_path: Path
) -> None:
    # A 5 MB string (a pasted dump, or a quote that is only closed far below) is more than any
    # real item holds; the reader stops buffering at 4 MB instead of holding the rest.
    path = tmp_path / "catalog.json"
    path.write_text(
        '{"tables": [\n{"name": "ok"},\n{"name": "big", "description": "'
        + "x" * (5 * 1024 * 1024)
        + '"},\n{"name": "after"}\n]}\n',
        encoding="utf-8",
    )

    job = await _import(transfer, path)

    [problem] = by_code(job, "MALFORMED_JSON")
    assert problem.line == 3
    assert "the value starting at line 3 is larger than 4 MB or never ends" in problem.message
    assert "(unterminated string starting at line 3)" in problem.message


async def test_a_json_syntax_error_is_reported_where_it_is_without_reading_on(
    transfer: ImportService, tmp_path: Path
) -> None:
    # Far below the mistake the file is not UTF-8: a reader that reads on after the mistake
    # (hoping more text completes the item) reports the encoding instead of the mistake.
    filler = ",\n".join(json.dumps({"name": f"t{i}"}) for i in range(50_000))
    path = tmp_path / "catalog.json"
    path.write_bytes(
        b'{"tables": [\n{"name": "a"},\n{"name": "b" "description": "c"},\n'
        + filler.encode()
        + b',\n{"name": "caf\xe9"}\n]}\n'
    )

    job = await _import(transfer, path)

    assert [(p.code, p.line) for p in job.report.problems] == [(ProblemCode.MALFORMED_JSON, 3)]
    assert "expecting ',' delimiter" in job.report.problems[0].message


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "catalog.json",
            '{"tables": [\n'
            '  {"name": "orders"},\n'
            '  {"name": "lines", "Schema": "sales", "schema": "crm"}\n'
            "]}\n",
        ),
        (
            "catalog.yaml",
            "tables:\n  - name: orders\n  - name: lines\n    Schema: sales\n    schema: crm\n",
        ),
    ],
)
async def test_keys_naming_the_same_column_are_reported_with_both_keys(
    transfer: ImportService, store: Store, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    job = await run_import(transfer, path, mode=ImportMode.SKIP_INVALID)

    [problem] = by_code(job, "DUPLICATE_COLUMN")
    assert problem.row == 2 and problem.column == "schema"
    assert "the keys 'Schema' and 'schema' both name the column 'schema'" in problem.message
    assert "Item 2 of 'tables'" in problem.message
    # The clashing row is skipped, not imported with whichever value came last.
    assert job.report.sections["tables"].created == 1
    assert job.report.sections["tables"].skipped == 1
    assert await count(store, "Table") == 1


async def test_a_json_key_given_twice_is_reported(transfer: ImportService, tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text('{"tables": [{"name": "orders", "name": "order"}]}', encoding="utf-8")

    job = await run_import(transfer, path, dry_run=True)

    [problem] = by_code(job, "DUPLICATE_COLUMN")
    assert "Item 1 of 'tables' (line 1): the key 'name' appears 2 times" in problem.message


async def test_a_zip_member_needing_an_unknown_zip_version_is_reported_as_damaged(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    # Found by fuzzing: a garbled "version needed to extract" used to be an internal error.
    data = _catalog_zip()
    # Patch every central and local record's "version needed" field to an unknown 9.9.
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            patched[start + offset : start + offset + 2] = (99).to_bytes(2, "little")
            start += 4
    path = tmp_path / "catalog.zip"
    path.write_bytes(bytes(patched))

    job = await _import(transfer, path)

    assert _syntax_problems(job.report.problems)
    assert await count(store, "Table") == 0


async def test_invalid_utf8_after_a_blank_first_line_is_an_encoding_problem(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = tmp_path / "tables.csv"
    path.write_bytes(b"\n\nschema,name\nsales,\xff\xfeorders\n")

    job = await run_import(transfer, path)

    codes = {p.code for p in job.report.problems}
    assert job.report.outcome is Outcome.NOTHING_APPLIED
    assert ProblemCode.WRONG_ENCODING in codes


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deep.json", '{"tables": [' + "[" * 100_000 + "]" * 100_000 + "]}"),
        ("deep.yaml", "tables:\n" + "- " * 5_000 + "x\n"),
        ("flow.yaml", "tables: " + "[" * 5_000 + "]" * 5_000 + "\n"),
    ],
)
async def test_absurdly_nested_json_and_yaml_are_refused_with_a_message(
    transfer: ImportService, tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content)

    job = await run_import(transfer, path)

    [problem] = job.report.problems
    assert "nested" in problem.message
    assert job.report.outcome is Outcome.NOTHING_APPLIED


@pytest.mark.parametrize(
    "bad_cell",
    [
        '<c r="A2" t="s"><v>999999</v></c>',  # a shared string that is not there
        '<c r="A2" t="n"><v>abc</v></c>',  # text where the cell says number
        '<c r="A2" t="d"><v>zz</v></c>',  # not a date
    ],
)
async def test_well_formed_sheet_xml_with_impossible_cells_is_reported(
    transfer: ImportService, store: Store, tmp_path: Path, bad_cell: str
) -> None:
    good = _catalog_workbook(tmp_path)
    member = _sheet_member(good, "tables")

    def spoil(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        text = data.decode()
        start = text.index('<c r="A2"')
        end = text.index("</c>", start) + len("</c>")
        return (text[:start] + bad_cell + text[end:]).encode()

    path = tmp_path / "catalog.xlsx"
    path.write_bytes(_rewrite(good, spoil))

    job = await _import(transfer, path)

    [problem] = _syntax_problems(job.report.problems)
    assert "The sheet 'tables' of 'catalog.xlsx' is damaged" in problem.message
    assert "does not fit its cell type" in problem.message
    assert await count(store, "Table") == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("v99.json", '{"version": 99, "tables": [ {"a": 1} }'),
        ("v99.yaml", "version: 99\ntables:\n  - a: [1\n"),
    ],
)
async def test_a_file_of_another_version_that_is_also_malformed_gets_a_report(
    transfer: ImportService, tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content)

    job = await run_import(transfer, path)

    codes = {p.code for p in job.report.problems}
    assert ProblemCode.UNSUPPORTED_VERSION in codes
    assert job.report.outcome is Outcome.NOTHING_APPLIED


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("tables.csv", "schema,name\n" + "a," * 3_000_000 + "\n", "longer than 4 MB"),
        (
            "tables.yaml",
            "tables:\n- name: t\n  tags: [" + ",".join(["x"] * 3_000_000) + "]\n",
            "larger than 4 MB",
        ),
    ],
)
async def test_a_line_or_item_too_large_to_hold_is_refused_not_read(
    transfer: ImportService, tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content)

    job = await run_import(transfer, path)

    [problem] = job.report.problems
    assert expected in problem.message
    assert job.report.outcome is Outcome.NOTHING_APPLIED
