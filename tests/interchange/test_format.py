"""The format as data: the template, the documentation and cell reading agree with it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from graph_api.interchange.cells import CellError, neutralise, read_cell, restore
from graph_api.interchange.format import FORMAT_VERSION, SECTIONS, TABLES
from graph_api.interchange.report import Outcome, ProblemCode
from graph_api.interchange.template import template_bytes
from graph_api.services.imports import ImportService
from graph_api.settings import REPO_ROOT
from tests.interchange.conftest import run_import


def test_the_template_opens_and_describes_every_column() -> None:
    book = openpyxl.load_workbook(io.BytesIO(template_bytes()))
    assert book.sheetnames == ["about"] + [s.name for s in SECTIONS]
    about = [list(r) for r in book["about"].iter_rows(values_only=True)]
    assert about[0][:2] == ["format", "clew-interchange"]
    assert about[1][:2] == ["version", FORMAT_VERSION]
    described = {(r[0], r[1]) for r in about if r and len(r) > 4 and r[4]}
    for section in SECTIONS:
        sheet = book[section.name]
        header = [c.value for c in sheet[1]]
        assert header == section.column_names
        for cell, column in zip(sheet[1], section.columns, strict=True):
            assert cell.comment is not None and column.description[:30] in cell.comment.text
            assert (section.name, column.name) in described
        example = [c.value for c in sheet[2]]
        assert example[section.column_names.index("id")] is None  # ids are optional
    kinds = book["tables"].data_validations.dataValidation
    assert any("VIEW" in (v.formula1 or "") for v in kinds)


def test_the_documentation_covers_every_section_and_column() -> None:
    doc = (REPO_ROOT / "docs" / "interchange-format.md").read_text(encoding="utf-8")
    assert f"version {FORMAT_VERSION}" in doc.lower()
    for section in SECTIONS:
        assert f"## {section.name}" in doc, section.name
        for column in section.columns:
            assert re.search(rf"\|\s*`{column.name}`\s*\|", doc), f"{section.name}.{column.name}"


@pytest.mark.parametrize(
    "text",
    [
        "=SUM(A1)",
        "+1",
        "-- note",
        "@here",
        "\tindent",
        "\rx",
        "'=already quoted",
        "''+twice",
        "plain",
        "it's fine",
        "'leading quote, not a formula",
        "",
    ],
)
def test_neutralised_text_restores_exactly(text: str) -> None:
    cell = neutralise(text)
    assert not re.match(r"[=+\-@\t\r]", cell)
    assert restore(cell) == text


@pytest.mark.parametrize(
    ("column", "cell", "value"),
    [
        ("kind", " view ", "VIEW"),
        ("tags", "pii; finance ;; pii", ["pii", "finance"]),
        ("created_at", "2024-05-01", "2024-05-01T00:00:00Z"),
        ("created_at", "2024-05-01 09:30", "2024-05-01T09:30Z"),
    ],
)
def test_cells_are_read_as_people_type_them(column: str, cell: str, value: object) -> None:
    parsed = read_cell(TABLES.column(column), cell)
    assert getattr(parsed, "value", parsed) == value


def test_numbers_and_flags_accept_spreadsheet_habits() -> None:
    from graph_api.interchange.format import FIELD_LINEAGE, FIELDS

    confidence = FIELD_LINEAGE.column("confidence")
    assert read_cell(confidence, "80%") == 0.8
    assert read_cell(confidence, "0,75") == 0.75
    with pytest.raises(CellError, match="between 0 and 1"):
        read_cell(confidence, 2)
    nullable = FIELDS.column("nullable")
    assert read_cell(nullable, "Yes") is True and read_cell(nullable, 0) is False
    assert read_cell(FIELDS.column("ordinal_position"), 3.0) == 3
    with pytest.raises(CellError, match="not a whole number"):
        read_cell(FIELDS.column("ordinal_position"), 2.5)


async def test_the_template_previews_without_errors(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = tmp_path / "clew-import-template.xlsx"
    path.write_bytes(template_bytes())

    job = await run_import(transfer, path, dry_run=True)

    assert job.report is not None
    assert job.report.outcome is Outcome.PREVIEWED
    assert job.report.errors() == []
    # Every example row (and nothing else) is pointed out, so none is imported by mistake.
    warned = sorted((p.section, p.row) for p in job.report.problems)
    assert all(p.code is ProblemCode.EXAMPLE_ROW for p in job.report.problems)
    assert warned == sorted([(s.name, 2) for s in SECTIONS] + [("tables", 3), ("fields", 3)])
    created = {s.section: s.created for s in job.report.sections.values()}
    assert created == {
        "sources": 1,
        "tables": 2,
        "fields": 2,
        "table_lineage": 1,
        "field_lineage": 1,
    }
