"""Uploads that are small on the wire but costly to read (a zip of blank lines, a sheet of empty
rows) are refused before they cost much, and only a few imports run at once."""

from __future__ import annotations

import asyncio
import threading
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from graph_api.errors import RateLimitedError
from graph_api.interchange import validate
from graph_api.interchange.report import Outcome
from graph_api.services.imports import ImportOptions, ImportService
from graph_api.store.client import Store
from tests.interchange.conftest import by_code, run_import


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


async def test_a_48_kb_zip_of_49_mb_of_blank_lines_is_refused_by_its_ratio(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = _zip(tmp_path / "catalog.zip", {"tables.csv": b"schema,name\n" + b"\n" * 49_000_000})
    assert path.stat().st_size < 60_000

    job = await run_import(transfer, path)

    assert job.report is not None and job.report.outcome is Outcome.NOTHING_APPLIED
    (problem,) = by_code(job, "UNREADABLE_FILE")
    assert "'tables.csv', which unpacks to 47 MB from 47 KB" in problem.message
    assert "more than 200 times its packed size" in problem.message


async def test_an_archive_of_many_small_members_is_held_to_the_ratio_as_a_whole(
    transfer: ImportService, tmp_path: Path
) -> None:
    # Each member stays under the size below which no ratio applies; together they do not.
    members = {f"notes_{i:02}.txt": b"\n" * 1_000_000 for i in range(40)}
    path = _zip(tmp_path / "catalog.zip", {"tables.csv": b"schema,name\nsales,orders\n", **members})

    job = await run_import(transfer, path)

    (problem,) = by_code(job, "UNREADABLE_FILE")
    assert "unpacks to 38 MB from" in problem.message
    assert "more than 200 times its size" in problem.message
    assert job.report is not None and job.report.outcome is Outcome.NOTHING_APPLIED


async def test_blank_lines_past_the_bound_stop_the_reading(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = tmp_path / "tables.csv"
    path.write_bytes(b"schema,name\nsales,orders\n" + b",\n" * 100_001 + b"sales,items\n")

    job = await run_import(transfer, path)

    (problem,) = by_code(job, "UNREADABLE_FILE")
    assert problem.message == (
        "'tables.csv' holds more than 100,000 blank lines (the last at line 100,003); Clew "
        "stopped reading it. Remove the blank lines and import again."
    )
    assert job.report is not None and job.report.outcome is Outcome.NOTHING_APPLIED

    # Above the header too.
    path.write_bytes(b"\n" * 100_002 + b"schema,name\nsales,orders\n")
    job = await run_import(transfer, path)
    assert "holds more than 100,000 blank lines" in by_code(job, "UNREADABLE_FILE")[0].message


async def test_a_sheet_of_empty_rows_is_bounded_like_blank_lines(
    transfer: ImportService, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "tables"
    sheet.append(["schema", "name"])
    sheet.append(["sales", "orders"])
    sheet.cell(row=200_000, column=1, value="sales")
    path = tmp_path / "catalog.xlsx"
    book.save(path)

    job = await run_import(transfer, path)

    (problem,) = by_code(job, "UNREADABLE_FILE")
    assert "'tables' holds more than 100,000 blank lines" in problem.message


async def test_only_a_few_imports_run_at_once_per_user_and_in_all(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tables.csv"
    path.write_bytes(b"schema,name\nsales,orders\n")
    options = ImportOptions(dry_run=True)
    # The imports read their files only when the test lets them, so that they are still
    # running while the next ones are submitted.
    go = threading.Event()
    parse = validate.parse

    def gated(*args: Any, **kwargs: Any) -> Any:
        go.wait()
        return parse(*args, **kwargs)

    monkeypatch.setattr(validate, "parse", gated)

    async def submit(actor: str) -> str:
        service = ImportService(store, actor=actor)
        job = await service.submit(path=path, file_name=path.name, options=options, owns_file=False)
        return job.id

    started = [await submit("ann"), await submit("ann")]
    try:
        with pytest.raises(RateLimitedError) as refused:
            await submit("ann")
        assert refused.value.message == (
            "You have 2 imports running, the most one person may run at once; try again when "
            "one finishes (follow them with importJob or importJobProgress)."
        )
        started += [await submit("bob"), await submit("cyd")]
        with pytest.raises(RateLimitedError) as full:
            await submit("dee")
        assert full.value.message == (
            "Too many imports running (4, the most Clew runs at once); try again when one finishes."
        )
    finally:
        go.set()
        service = ImportService(store, actor="ann")
        jobs = await asyncio.gather(*(service.wait(job_id) for job_id in started))
    assert [j.outcome for j in jobs] == [Outcome.PREVIEWED] * 4
    await asyncio.sleep(0)
    # A finished import frees its place.
    again = await submit("dee")
    assert (await ImportService(store, actor="dee").wait(again)).outcome is Outcome.PREVIEWED


async def test_a_zip_that_understates_its_sizes_gains_nothing(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = _zip(tmp_path / "catalog.zip", {"tables.csv": b"schema,name\n" + b"\n" * 49_000_000})
    data = bytearray(path.read_bytes())
    # Declare 1,000 bytes unpacked, in the local header and in the central directory.
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = (1000).to_bytes(4, "little")
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))

    job = await run_import(transfer, path)

    (problem,) = by_code(job, "UNREADABLE_FILE")
    assert "'tables.csv' in the zip archive 'catalog.zip' is damaged" in problem.message
    assert job.report is not None and job.report.outcome is Outcome.NOTHING_APPLIED
