"""Export, import, export again: what a person who edits their catalog in files relies on."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from graph_api.interchange.format import SECTIONS, TABLES, Encoding
from graph_api.interchange.report import Outcome
from graph_api.interchange.template import template_bytes
from graph_api.services.exports import ExportService
from graph_api.services.imports import ImportService
from graph_api.store.client import Store
from tests.interchange.conftest import (
    GOLDEN,
    RECORDED,
    csv_rows,
    export,
    import_fixed_catalog,
    read_workbook,
    read_zip,
    run_import,
    snapshot,
    workbook,
)

UPDATE = os.environ.get("CLEW_UPDATE_GOLDEN") == "1"
SUFFIX = {Encoding.XLSX: "xlsx", Encoding.CSV: "zip", Encoding.JSON: "json", Encoding.YAML: "yaml"}


@pytest.fixture
async def catalog(transfer: ImportService, store: Store) -> None:
    await import_fixed_catalog(transfer, store)


def _comparable(encoding: Encoding, data: bytes) -> str:
    """The export as text a reviewer can diff (a workbook as its cell values)."""
    if encoding is Encoding.XLSX:
        return "".join(
            f"{sheet}!{number}: {json.dumps(row, ensure_ascii=False)}\n"
            for sheet, rows in read_workbook(data).items()
            for number, row in enumerate(rows, start=1)
        )
    if encoding is Encoding.CSV:
        members = read_zip(data)
        return "".join(f"--- {name}\n{text}" for name, text in sorted(members.items()))
    return data.decode("utf-8")


@pytest.mark.parametrize("encoding", list(Encoding), ids=lambda e: e.value)
async def test_export_of_a_fixed_catalog_matches_its_golden_file(
    transfer: ImportService, catalog: None, encoding: Encoding
) -> None:
    text = _comparable(encoding, await export(transfer, encoding))
    golden = GOLDEN / f"catalog.{encoding.value}.txt"
    if UPDATE:
        golden.write_bytes(text.encode("utf-8"))
    assert text == golden.read_bytes().decode("utf-8")


@pytest.mark.parametrize("encoding", list(Encoding), ids=lambda e: e.value)
async def test_export_then_import_changes_nothing(
    transfer: ImportService, store: Store, catalog: None, encoding: Encoding, tmp_path: Path
) -> None:
    before = await snapshot(store)
    path = tmp_path / f"export.{SUFFIX[encoding]}"
    path.write_bytes(await export(transfer, encoding))

    job = await run_import(transfer, path)

    report = job.report
    assert report is not None
    assert report.error_count == 0 and report.warning_count == 0, report.problems
    assert report.outcome is Outcome.APPLIED
    assert {s.section: (s.created, s.updated, s.unchanged) for s in report.sections.values()} == {
        "sources": (0, 0, 2),
        "tables": (0, 0, 3),
        "fields": (0, 0, 5),
        "table_lineage": (0, 0, 1),  # and one implied edge, which follows the field lineage
        "field_lineage": (0, 0, 2),
    }
    assert report.sections["table_lineage"].implied == 1
    assert await snapshot(store) == before


async def test_a_fresh_catalog_imported_from_an_export_is_the_same_catalog(
    transfer: ImportService, store: Store, catalog: None, tmp_path: Path
) -> None:
    before = await snapshot(store)
    path = tmp_path / "everything.xlsx"
    path.write_bytes(await export(transfer, Encoding.XLSX))
    await store.driver.execute_query(
        "MATCH (n) WHERE n:Source OR n:Table OR n:Field DETACH DELETE n", database_=store.database
    )

    job = await run_import(transfer, path)

    assert job.report is not None and job.report.outcome is Outcome.APPLIED
    # Ids, provenance, confidence, review state, descriptions and tags all kept. Who declared
    # and reviewed lineage, and when, and when sources, tables and fields were created, is
    # what the server saw: the importer (a steward, whose import approves what the file says
    # is approved) and now; the report says the file's values were ignored.
    after = await snapshot(store)
    assert _without_recorded(after) == _without_recorded(before)
    assert {n["created_at"][:4] for n in before[0]} == {"2024"}
    assert "2024" not in {n["created_at"][:4] for n in after[0]}
    assert "2024" not in {n["updated_at"][:4] for n in after[0]}
    restored = [props for _, kind, _, props in after[1] if kind == "FLOWS_TO"]
    assert {p["created_by"] for p in restored} == {"importer"}
    assert {p.get("reviewed_by") for p in restored if p["id"] == "e-key"} == {"importer"}
    ignored = [p for p in job.report.problems if p.code.value == "IGNORED_VALUE"]
    assert [(p.section, p.column) for p in ignored] == [
        *[("sources", "created_at")] * 2,
        *[("tables", "created_at")] * 3,
        *[("fields", "created_at")] * 5,
        ("table_lineage", "created_by"),
        ("field_lineage", "created_by"),
        ("field_lineage", "reviewed_by"),
    ]


def _without_recorded(snap: list[Any]) -> list[Any]:
    nodes, edges = snap
    return [
        [{k: v for k, v in props.items() if k not in RECORDED} for props in nodes],
        [
            [a, kind, b, {k: v for k, v in props.items() if k not in RECORDED}]
            if kind == "FLOWS_TO"
            else [a, kind, b, props]
            for a, kind, b, props in edges
        ],
    ]


async def test_formula_like_text_is_neutralised_in_spreadsheets_and_restored_on_import(
    transfer: ImportService, catalog: None, tmp_path: Path
) -> None:
    sheets = read_workbook(await export(transfer, Encoding.XLSX))
    tables = {row[2]: row for row in sheets["tables"][1:]}
    assert tables["customer_dim"][4] == '\'=HYPERLINK("http://x") looks like a formula'
    fields = {row[3]: row for row in sheets["fields"][1:] if row[2] == "notes"}
    assert fields["body"][8] == "'@mention and +1 are not formulas"
    lineage = sheets["table_lineage"][2]
    assert lineage[9] == "''=copied by hand"  # already quoted text gets one more quote

    members = read_zip(await export(transfer, Encoding.CSV))
    csv_fields = csv_rows(members["fields.csv"])
    assert ["'-- contact address"] == [
        r[8] for r in csv_fields if r[3] == "email" and r[2] == "customers"
    ]

    # A control character in front cannot smuggle a formula into a workbook.
    from graph_api.interchange.cells import write_cell
    from graph_api.interchange.format import TABLES

    column = next(c for c in TABLES.columns if c.name == "description")
    assert write_cell(column, "\x01=1+1", Encoding.XLSX) == "'=1+1"

    # JSON needs no neutralising: nothing runs its text.
    document = json.loads(await export(transfer, Encoding.JSON))
    assert document["tables"][0]["description"].startswith("=HYPERLINK")


async def test_export_then_edit_then_import_applies_exactly_the_edits(
    transfer: ImportService, store: Store, catalog: None, tmp_path: Path
) -> None:
    sheets = read_workbook(await export(transfer, Encoding.XLSX))
    tables = sheets["tables"]
    header = tables[0]
    customers = next(r for r in tables if r[2] == "customers")
    customers[header.index("description")] = "Every customer we have"
    customers[header.index("tags")] = "pii; crm; gold"
    notes = next(r for r in tables if r[2] == "notes")
    notes[header.index("name")] = "notebook"  # a rename: the id says which table
    fields = sheets["fields"]
    fields.append(
        [
            "crm",
            "public",
            "customers",
            "phone",
            "varchar(20)",
            True,
            False,
            None,
            None,
            "pii",
            None,
            None,
            None,
            None,
        ]
    )
    lineage = sheets["table_lineage"]
    manual = next(r for r in lineage[1:] if r[lineage[0].index("id")] == "e-notes")
    manual[lineage[0].index("confidence")] = 0.8
    path = workbook(tmp_path / "edited.xlsx", {k: v for k, v in sheets.items() if k != "about"})

    preview = await run_import(transfer, path, dry_run=True)
    job = await run_import(transfer, path)

    for result in (preview, job):
        report = result.report
        assert report is not None and report.error_count == 0, report.problems
        assert {s.section: (s.created, s.updated) for s in report.sections.values()} == {
            "sources": (0, 0),
            "tables": (0, 2),
            "fields": (1, 0),
            "table_lineage": (0, 1),
            "field_lineage": (0, 0),
        }
    assert job.report is not None
    changes = {
        s.key: s.changes for s in job.report.sections["tables"].samples if s.action == "updated"
    }
    assert changes == {
        "public.customers": [
            ("description", "One row per customer", "Every customer we have"),
            ("tags", ["pii", "crm"], ["pii", "crm", "gold"]),
        ],
        "notebook": [("name", "notes", "notebook"), ("qualified_name", "notes", "notebook")],
    }
    again = read_workbook(await export(transfer, Encoding.XLSX))
    assert [r[2] for r in again["tables"][1:]] == ["customer_dim", "notebook", "customers"]
    phone = [r for r in again["fields"][1:] if r[3] == "phone"]
    assert phone and phone[0][7] == 3  # placed after the table's last field
    header = again["table_lineage"][0]
    edited = next(r for r in again["table_lineage"][1:] if r[header.index("id")] == "e-notes")
    assert edited[header.index("confidence")] == 0.8


async def test_export_filters_by_source_and_exports_one_csv_section(
    transfer: ImportService, catalog: None
) -> None:
    document = json.loads(await export(transfer, Encoding.JSON, sources=["crm"]))
    assert [s["name"] for s in document["sources"]] == ["crm"]
    assert [t["name"] for t in document["tables"]] == ["customers"]
    assert {f["table"] for f in document["fields"]} == {"customers"}
    # Lineage touching the selection comes along; its other end is named, not exported.
    assert {e["id"] for e in document["field_lineage"]} == {"e-key", "e-email"}
    assert document["filters"] == {"sources": ["crm"]}

    tagged = json.loads(await export(transfer, Encoding.JSON, tags=["manual"]))
    assert [t["name"] for t in tagged["tables"]] == ["notes"]
    assert tagged["sources"] == []

    single = await export(transfer, Encoding.CSV, section=SECTIONS[1])
    rows = csv_rows(single.decode("utf-8-sig"))
    assert rows[0] == SECTIONS[1].column_names and len(rows) == 4


async def test_an_unknown_source_filter_is_refused_with_a_suggestion(
    transfer: ImportService, catalog: None
) -> None:
    from graph_api.errors import ValidationError

    with pytest.raises(ValidationError, match="Did you mean 'warehouse'"):
        await ExportService(transfer.store).export(Encoding.JSON, sources=["wharehouse"])


SOFFICE = shutil.which("soffice")
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
)


def libreoffice(source: Path, target_format: str, out: Path) -> None:
    """Opens a file in LibreOffice (headless) and saves it in another format, as a person
    would with "Save as"."""
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            "--convert-to",
            target_format,
            str(source),
            "--outdir",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        # A profile of its own: no clash with a LibreOffice the developer has open.
        env={**os.environ, "HOME": str(out)},
    )


@needs_libreoffice
async def test_libreoffice_opens_the_template_and_exports_and_runs_no_formula(
    transfer: ImportService, catalog: None, tmp_path: Path
) -> None:
    (tmp_path / "template.xlsx").write_bytes(template_bytes())
    (tmp_path / "export.xlsx").write_bytes(await export(transfer, Encoding.XLSX))
    every_sheet = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    for name in ("template.xlsx", "export.xlsx"):
        await asyncio.to_thread(libreoffice, tmp_path / name, every_sheet, tmp_path / "csv")

    template_tables = csv_rows((tmp_path / "csv" / "template-tables.csv").read_text())
    assert template_tables[0] == [c.name for c in TABLES.columns]
    exported = {
        row[2]: row for row in csv_rows((tmp_path / "csv" / "export-tables.csv").read_text())
    }
    # LibreOffice shows the neutralised text as text; it computed nothing.
    assert exported["customer_dim"][4] == '\'=HYPERLINK("http://x") looks like a formula'


@needs_libreoffice
async def test_a_workbook_saved_again_by_libreoffice_imports_with_no_change(
    transfer: ImportService, store: Store, catalog: None, tmp_path: Path
) -> None:
    before = await snapshot(store)
    (tmp_path / "catalog.xlsx").write_bytes(await export(transfer, Encoding.XLSX))
    await asyncio.to_thread(libreoffice, tmp_path / "catalog.xlsx", "xlsx", tmp_path / "saved")
    resaved = tmp_path / "saved" / "catalog.xlsx"
    assert resaved.read_bytes() != (tmp_path / "catalog.xlsx").read_bytes()

    job = await run_import(transfer, resaved)

    assert job.report is not None
    assert [p for p in job.report.problems if p.severity.value == "ERROR"] == []
    changed = {name: (s.created, s.updated) for name, s in job.report.sections.items()}
    assert changed == {name: (0, 0) for name in job.report.sections}
    assert await snapshot(store) == before
