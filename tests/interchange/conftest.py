"""Helpers for import/export tests: files as a person makes them, imports as the service runs
them, and counts read straight from Neo4j."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from graph_api.interchange.format import Encoding
from graph_api.interchange.report import Outcome, Problem
from graph_api.services.exports import ExportService
from graph_api.services.imports import ImportJob, ImportMode, ImportOptions, ImportService
from graph_api.store.client import Store

HERE = Path(__file__).parent
DATA = HERE / "data"
GOLDEN = HERE / "golden"
FIXED_TIME = "2024-06-01T00:00:00+00:00"


@pytest.fixture
def transfer(store: Store) -> ImportService:
    return ImportService(store, actor="importer")


async def run_import(
    service: ImportService,
    path: Path,
    *,
    dry_run: bool = False,
    mode: ImportMode = ImportMode.ALL_OR_NOTHING,
    allow_downgrade: bool = False,
    batch_size: int = 1000,
    max_problems: int = 1000,
) -> ImportJob:
    job = await service.run(
        path=path,
        file_name=path.name,
        options=ImportOptions(
            dry_run=dry_run,
            mode=mode,
            allow_downgrade=allow_downgrade,
            batch_size=batch_size,
            max_problems=max_problems,
        ),
    )
    assert job.failure is None, job.failure
    assert job.report is not None
    return job


# Who declared and reviewed lineage, and when, is what the server saw: an import cannot set it.
RECORDED = ("created_by", "created_at", "updated_at", "reviewed_by", "reviewed_at")


async def import_fixed_catalog(service: ImportService, store: Store) -> None:
    """The fixed catalog (data/catalog.yaml), with its lineage as the server would have
    recorded it back then: the golden exports are of a catalog with a history, which no
    import can write."""
    job = await run_import(service, DATA / "catalog.yaml")
    assert job.report is not None
    assert job.report.outcome is Outcome.APPLIED, job.report.problems
    data = yaml.safe_load((DATA / "catalog.yaml").read_text(encoding="utf-8"))
    edges = [
        {name: row.get(name) for name in ("id", *RECORDED)}
        for section in ("table_lineage", "field_lineage")
        for row in data[section]
    ]
    await store.driver.execute_query(
        "UNWIND $edges AS e MATCH ()-[r:FLOWS_TO {id: e.id}]->() "
        "SET r.created_by = coalesce(e.created_by, r.created_by), "
        "    r.created_at = datetime(e.created_at), r.updated_at = datetime(e.updated_at), "
        "    r.reviewed_by = e.reviewed_by, r.reviewed_at = datetime(e.reviewed_at)",
        edges=edges,
        database_=store.database,
    )
    # When sources, tables and fields were created and changed is what the server saw, too.
    nodes = [
        {"id": row["id"], "created_at": row.get("created_at"), "updated_at": row.get("updated_at")}
        for section in ("sources", "tables", "fields")
        for row in data[section]
    ]
    await store.driver.execute_query(
        "UNWIND $nodes AS e MATCH (n {id: e.id}) WHERE n:Source OR n:Table OR n:Field "
        "SET n.created_at = datetime(e.created_at), n.updated_at = datetime(e.updated_at)",
        nodes=nodes,
        database_=store.database,
    )


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def read_workbook(data: bytes) -> dict[str, list[list[Any]]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return {
            name: [list(r) for r in book[name].iter_rows(values_only=True)]
            for name in book.sheetnames
        }
    finally:
        book.close()


def read_zip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n).decode("utf-8-sig") for n in archive.namelist()}


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def export(service: ImportService, encoding: Encoding, **filters: Any) -> bytes:
    stream = await ExportService(service.store).export(encoding, exported_at=FIXED_TIME, **filters)
    return b"".join([chunk async for chunk in stream])


async def count(store: Store, label: str) -> int:
    records, _, _ = await store.driver.execute_query(
        f"MATCH (n:{label}) RETURN count(n) AS n", database_=store.database
    )
    return records[0]["n"]


async def count_edges(store: Store, level: str | None = None) -> int:
    records, _, _ = await store.driver.execute_query(
        "MATCH ()-[r:FLOWS_TO]->() WHERE $level IS NULL OR r.level = $level RETURN count(r) AS n",
        level=level,
        database_=store.database,
    )
    return records[0]["n"]


async def snapshot(store: Store) -> list[Any]:
    """Everything the catalog holds (no audit, no jobs), to compare before and after."""
    records, _, _ = await store.driver.execute_query(
        "MATCH (n) WHERE n:Source OR n:Table OR n:Field "
        "WITH n ORDER BY n.id RETURN collect(properties(n)) AS nodes",
        database_=store.database,
    )
    edges, _, _ = await store.driver.execute_query(
        "MATCH (a)-[r]->(b) WHERE type(r) IN ['FLOWS_TO', 'HAS_FIELD', 'CONTAINS'] "
        "WITH a, r, b ORDER BY a.id, b.id, type(r) "
        "RETURN collect([a.id, type(r), b.id, properties(r)]) AS edges",
        database_=store.database,
    )
    return json.loads(json.dumps([records[0]["nodes"], edges[0]["edges"]], default=str))


def messages(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems]


def by_code(job: ImportJob, code: str) -> list[Problem]:
    assert job.report is not None
    return [p for p in job.report.problems if p.code.value == code]
