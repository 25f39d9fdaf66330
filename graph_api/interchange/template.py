"""The template workbook: one sheet per section with its headers (each described in a cell
comment), example rows that import cleanly together, drop-down lists for columns with a fixed
set of values, and an 'about' sheet with the format's version and a description of every
column."""

from __future__ import annotations

import io
from typing import Any

from graph_api.interchange.cells import write_cell
from graph_api.interchange.format import (
    ABOUT,
    FORMAT_NAME,
    FORMAT_VERSION,
    SECTIONS,
    Column,
    Encoding,
    Kind,
    Section,
)

_REQUIRED_NOTE = {
    "fields": {"table": "required unless table_id is given"},
    "table_lineage": {
        "upstream_table": "required unless upstream_table_id is given",
        "downstream_table": "required unless downstream_table_id is given",
    },
    "field_lineage": {
        "upstream_table": "required unless upstream_field_id is given",
        "upstream_field": "required unless upstream_field_id is given",
        "downstream_table": "required unless downstream_field_id is given",
        "downstream_field": "required unless downstream_field_id is given",
    },
}


# Lineage needs two tables: the examples' downstream table (mart.revenue, see format.py) and its
# field get a row of their own, so that the lineage examples refer to rows the template holds.
EXTRA_EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "tables": [
        {
            "source": "warehouse",
            "schema": "mart",
            "name": "revenue",
            "kind": "VIEW",
            "description": "Revenue per customer and day",
            "tags": ["finance"],
        }
    ],
    "fields": [
        {
            "source": "warehouse",
            "schema": "mart",
            "table": "revenue",
            "name": "email",
            "data_type": "text",
            "nullable": False,
            "primary_key": True,
            "ordinal_position": 1,
            "description": "The customer",
            "tags": ["pii"],
        }
    ],
}


def example_rows(section: Section) -> list[dict[str, Any]]:
    """The template's example rows for a section, as values by column name."""
    first = {c.name: c.example for c in section.columns if c.example is not None}
    return [first, *EXTRA_EXAMPLES.get(section.name, [])]


def requirement(section: str, column: Column) -> str:
    if column.required:
        return "required"
    return _REQUIRED_NOTE.get(section, {}).get(column.name, "optional")


def describe(column: Column) -> str:
    text = column.description
    if column.allowed:
        text += f" One of: {', '.join(column.allowed)}."
    return text


def template_bytes() -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    about = workbook.active
    about.title = ABOUT
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    example_font = Font(italic=True, color="808080")
    about.append(["format", FORMAT_NAME])
    about.append(["version", FORMAT_VERSION])
    about.append([])
    about.append(["How to use this workbook"])
    about["A4"].font = bold
    for line in (
        "Fill one sheet per section; leave a sheet empty (or delete it) if you have nothing "
        "for it. Row 1 of each sheet is the header: keep it.",
        "The gray rows under each header are examples that fit together (the lineage examples "
        "refer to the example tables and fields): overwrite or delete them (the import warns "
        "when one is still there).",
        "Rows refer to each other by names (source, schema, table, field) or by id; ids are "
        "only needed to rename something that is already in Clew.",
        "An empty cell clears the value (or takes the default); a column you delete is left "
        "as it is in Clew. Nothing is ever deleted by an import.",
        "Import with 'preview' first: it lists what would be created, updated or left "
        "unchanged, and every problem, without changing anything.",
    ):
        about.append([line])
    about.append([])
    about.append(["section", "column", "required", "kind", "description", "example"])
    for cell in about[about.max_row]:
        cell.font = bold
        cell.fill = header_fill
    for section in SECTIONS:
        for column in section.columns:
            about.append(
                [
                    section.name,
                    column.name,
                    requirement(section.name, column),
                    column.kind.value,
                    describe(column),
                    _example_text(column),
                ]
            )
    for letter, width in zip("ABCDEF", (16, 22, 34, 18, 100, 28), strict=True):
        about.column_dimensions[letter].width = width

    for section in SECTIONS:
        sheet = workbook.create_sheet(section.name)
        sheet.append(section.column_names)
        examples = example_rows(section)
        for example in examples:
            sheet.append(
                [write_cell(c, example.get(c.name), Encoding.XLSX) for c in section.columns]
            )
        sheet.freeze_panes = "A2"
        for index, column in enumerate(section.columns, start=1):
            letter = get_column_letter(index)
            header = sheet.cell(row=1, column=index)
            header.font = bold
            header.fill = header_fill
            header.alignment = Alignment(vertical="top")
            comment = Comment(
                f"{column.name} ({requirement(section.name, column)}): {describe(column)}",
                "Clew",
            )
            comment.width, comment.height = 320, 160
            header.comment = comment
            for row in range(2, 2 + len(examples)):
                sheet.cell(row=row, column=index).font = example_font
            sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
            if column.kind is Kind.ENUM:
                choices = DataValidation(
                    type="list", formula1='"' + ",".join(column.allowed) + '"', allow_blank=True
                )
                choices.error = f"Use one of: {', '.join(column.allowed)}"
                choices.errorTitle = column.name
                sheet.add_data_validation(choices)
                choices.add(f"{letter}2:{letter}1048576")
            elif column.kind is Kind.BOOLEAN:
                flags = DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=True)
                sheet.add_data_validation(flags)
                flags.add(f"{letter}2:{letter}1048576")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _example_text(column: Column) -> Any:
    value = column.example
    if value is None:
        return None
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return value
