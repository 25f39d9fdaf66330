"""A person's file with mistakes: every problem reported where they will find it, in words
they can act on, with a suggestion when one is likely."""

from __future__ import annotations

import json
from pathlib import Path

from graph_api.interchange.report import Outcome, ProblemCode, Severity
from graph_api.services.imports import ImportMode, ImportService
from graph_api.store.client import Store
from tests.interchange.conftest import by_code, count, run_import, snapshot, workbook

TABLES = ["source", "schema", "name", "kind", "description", "tags"]
FIELDS = ["source", "schema", "table", "name", "data_type", "nullable"]
FIELD_LINEAGE = [
    "upstream_source",
    "upstream_schema",
    "upstream_table",
    "upstream_field",
    "downstream_source",
    "downstream_schema",
    "downstream_table",
    "downstream_field",
    "lineage_source",
    "confidence",
    "review_state",
]


def mistaken_workbook(path: Path) -> Path:
    return workbook(
        path,
        {
            "sources": [["name", "type"], ["crm", "POSTGRESQL"]],
            "tables": [
                [*TABLES, "descripton"],
                ["crm", None, "CUSTOMERS", "TABLE", "People", "pii", None],
                ["crm", None, "ORDERS", "VEIW", None, None, None],  # row 3: bad kind
                ["crm", None, "ORDERS", "TABLE", None, None, None],  # row 4: fine
                ["crm", None, None, "TABLE", None, None, None],  # row 5: no name
                ["crm", None, "CUSTOMERS", "TABLE", None, None, None],  # row 6: duplicate of row 2
                ["crn", None, "PRODUCTS", "TABLE", None, None, None],  # row 7: unknown source
            ],
            "fields": [
                FIELDS,
                ["crm", None, "CUSTOMERS", "ID", "int", "no"],
                ["crm", None, "CUSTOMERS", "EMAIL", "varchar", "yes"],
                ["crm", None, "ORDERS", "CUSTOMER_ID", "int", "no"],
                ["crm", None, "ORDRES", "TOTAL", "int", None],  # row 5: misspelt table
                ["crm", None, "ORDERS", "NOTE", "text", "maybe"],  # row 6: not a boolean
            ],
            "field_lineage": [
                FIELD_LINEAGE,
                [
                    "crm",
                    None,
                    "CUSTOMERS",
                    "ID",
                    "crm",
                    None,
                    "ORDERS",
                    "CUSTOMER_ID",
                    "MANUAL",
                    0.9,
                    None,
                ],
                [
                    "crm",
                    None,
                    "CUSTOMERS",
                    "EMAIL",
                    "crm",
                    None,
                    "ORDERS",
                    "CUSTOMER_ID",
                    "MANUAL",
                    None,
                    None,
                ],
                [None] * 11,  # row 4: empty, ignored
                [
                    "crm",
                    None,
                    "CUSTOMERS",
                    "EMIAL",
                    "crm",
                    None,
                    "CUSTOMERS",
                    "ID",
                    "MANUAL",
                    None,
                    None,
                ],  # row 5: misspelt upstream field
                [
                    "crm",
                    None,
                    "CUSTOMERS",
                    "ID",
                    "crm",
                    None,
                    "CUSTOMERS",
                    "ID",
                    "MANUAL",
                    None,
                    None,
                ],  # row 6: to itself
                [
                    "crm",
                    None,
                    "CUSTOMERS",
                    "EMAIL",
                    "crm",
                    None,
                    "CUSTOMERS",
                    "ID",
                    "MANUAL",
                    1.5,
                    None,
                ],  # row 7: confidence out of range
                [
                    "crm",
                    None,
                    "CUSTOMERS",
                    "ID",
                    "crm",
                    None,
                    "CUSTOMERS",
                    "EMAIL",
                    "MANUAL",
                    None,
                    "APPROVED",
                ],  # row 8: approved review of manual lineage
                [
                    "crm",
                    None,
                    "CUSTOMERS",
                    "ID",
                    "crm",
                    None,
                    "ORDERS",
                    "CUSTOMER_ID",
                    "MANUAL",
                    0.5,
                    None,
                ],  # row 9: same edge as row 2
            ],
            "Feilds": [["table", "name"], ["CUSTOMERS", "X"]],
        },
    )


async def test_a_workbook_with_mistakes_gets_every_problem_at_its_row_and_column(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    job = await run_import(transfer, mistaken_workbook(tmp_path / "catalog.xlsx"))
    report = job.report
    assert report is not None
    found = {(p.section, p.row, p.column, p.code) for p in report.problems}
    assert {
        ("tables", 1, "descripton", ProblemCode.UNKNOWN_COLUMN),
        ("tables", 3, "kind", ProblemCode.INVALID_VALUE),
        ("tables", 5, "name", ProblemCode.REQUIRED_VALUE),
        ("tables", 6, "name", ProblemCode.DUPLICATE_ROW),
        ("tables", 7, "source", ProblemCode.UNKNOWN_REFERENCE),
        ("fields", 6, "nullable", ProblemCode.WRONG_TYPE),
        ("fields", 5, "table", ProblemCode.UNKNOWN_REFERENCE),
        ("field_lineage", 5, "upstream_field", ProblemCode.UNKNOWN_REFERENCE),
        ("field_lineage", 6, None, ProblemCode.SELF_LINEAGE),
        ("field_lineage", 7, "confidence", ProblemCode.INVALID_VALUE),
        ("field_lineage", 8, "review_state", ProblemCode.INVALID_PROVENANCE),
        ("field_lineage", 9, None, ProblemCode.DUPLICATE_ROW),
        ("Feilds", None, None, ProblemCode.UNKNOWN_SECTION),
    } <= found
    text = {(p.section, p.row): p.message for p in report.problems}
    assert text[("field_lineage", 5)] == (
        "Row 5 of 'field_lineage': the upstream field 'CUSTOMERS.EMIAL' does not exist in this "
        "file or in the catalog; add it to the fields sheet or correct the name. Did you mean "
        "'EMAIL'?"
    )
    assert text[("tables", 3)] == (
        "Row 3 of 'tables': in the column 'kind', 'VEIW' is not a valid kind; use one of TABLE, "
        "VIEW, MATERIALIZED_VIEW, COLLECTION, INDEX, ALIAS, DATA_STREAM, FILE, OTHER. Did you mean 'VIEW'?"
    )
    assert "Did you mean 'description'?" in text[("tables", 1)]
    assert "Did you mean 'ORDERS'?" in text[("fields", 5)]
    assert "Did you mean 'crm'?" in text[("tables", 7)]
    assert "already in Row 2 of 'tables'" in text[("tables", 6)]
    assert "already in Row 2 of 'field_lineage'" in text[("field_lineage", 9)]
    assert "Did you mean 'fields'?" in next(
        p.message for p in report.problems if p.section == "Feilds"
    )
    assert by_code(job, "INVALID_VALUE")[0].value == "VEIW"
    assert all(p.file == "catalog.xlsx" for p in report.problems)
    # A field on a table whose row has errors says where the trouble really is.
    dependent = [p for p in report.problems if p.code is ProblemCode.DEPENDS_ON_INVALID_ROW]
    assert dependent == []  # ORDERS is fine in row 4, so its fields resolve
    assert report.outcome is Outcome.NOTHING_APPLIED
    assert await count(store, "Table") == 0


async def test_skip_invalid_writes_the_good_rows_and_reports_the_rest(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    from graph_api.services.imports import ImportMode

    job = await run_import(
        transfer, mistaken_workbook(tmp_path / "catalog.xlsx"), mode=ImportMode.SKIP_INVALID
    )
    report = job.report
    assert report is not None and report.outcome is Outcome.PARTIALLY_APPLIED
    sections = {s.section: (s.created, s.skipped) for s in report.sections.values()}
    assert sections == {
        "sources": (1, 0),
        "tables": (2, 4),
        "fields": (3, 2),
        "field_lineage": (2, 5),
    }
    assert await count(store, "Table") == 2
    assert await count(store, "Field") == 3
    assert job.progress.rows_written == 8


async def test_rows_that_depend_on_a_broken_row_point_at_it(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "x.xlsx",
        {
            "tables": [TABLES, [None, "s", "t", "NOPE", None, None]],
            "fields": [FIELDS, [None, "s", "t", "a", None, None]],
        },
    )
    job = await run_import(transfer, path)
    [problem] = by_code(job, "DEPENDS_ON_INVALID_ROW")
    assert problem.message == (
        "Row 2 of 'fields': the table 's.t' is defined in Row 2 of 'tables', which has errors; "
        "fix that row first."
    )


async def test_files_that_cannot_be_read_say_why(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    cases = {
        "catalog.xlsx": (b"name,type\ncrm,ORACLE\n", "NOT_A_WORKBOOK", "not an Excel workbook"),
        "tables.csv": (
            "name,description\ncaf\u00e9,ok\n".encode("latin-1"),
            "WRONG_ENCODING",
            "CSV UTF-8",
        ),
        "fields.csv": (
            b'table,name,description\nt,a,"never closed\n',
            "MALFORMED_CSV",
            "a quoted value is never closed",
        ),
        "catalog.json": (
            b'{"tables": [\n {"name": "a"}\n {"name": "b"}]}',
            "MALFORMED_JSON",
            "line 3",
        ),
        "catalog.yaml": (b"tables:\n  - name: a\n   bad: [\n", "MALFORMED_YAML", "line"),
        "new.json": (
            b'{"format": "clew-interchange", "version": 7, "tables": []}',
            "UNSUPPORTED_VERSION",
            "version 7",
        ),
        "empty.csv": (b"", "EMPTY_FILE", "empty"),
    }
    before = await snapshot(store)
    for name, (content, code, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        job = await run_import(transfer, path)
        report = job.report
        assert report is not None and report.outcome is Outcome.NOTHING_APPLIED, name
        problems = by_code(job, code)
        assert problems, (name, report.problems)
        assert words in problems[0].message, (name, problems[0].message)
    assert await snapshot(store) == before


async def test_excel_csv_with_semicolons_and_a_bom_reads_like_any_csv(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = tmp_path / "tables.csv"
    path.write_bytes("\ufeffSchema;Name;Kind;Tags\r\nsales;orders;view;a; b\r\n".encode())
    job = await run_import(transfer, path, dry_run=True)
    report = job.report
    assert report is not None
    # 'a; b' with ';' as the delimiter is two cells: one too many for the header.
    assert [p.code for p in report.problems] == [ProblemCode.EXTRA_VALUES]
    path.write_bytes('\ufeffSchema;Name;Kind;Tags\r\nsales;orders;view;"a; b"\r\n'.encode())
    job = await run_import(transfer, path, dry_run=True)
    assert job.report is not None and job.report.problems == []
    assert job.report.sections["tables"].samples[0].key == "sales.orders"


async def test_a_huge_bad_file_gives_a_bounded_report_with_counts(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = tmp_path / "fields.csv"
    lines = ["table,name,nullable,ordinal_position"]
    lines += [f"t{i},f{i},perhaps,-{i}" for i in range(3000)]
    path.write_text("\n".join(lines), encoding="utf-8")
    job = await run_import(transfer, path, max_problems=100)
    report = job.report
    assert report is not None
    assert len(report.problems) == 100 and report.truncated
    assert report.counts[ProblemCode.WRONG_TYPE] == 3000
    assert report.counts[ProblemCode.INVALID_VALUE] == 3000
    assert report.error_count == 6000
    assert report.sections["fields"].skipped == 3000
    assert len(json.dumps(report.as_dict())) < 100_000


async def test_the_template_example_row_left_in_is_pointed_out(
    transfer: ImportService, tmp_path: Path
) -> None:
    from graph_api.interchange.template import template_bytes

    path = tmp_path / "template.xlsx"
    path.write_bytes(template_bytes())
    job = await run_import(transfer, path, dry_run=True)
    examples = by_code(job, "EXAMPLE_ROW")
    assert {(p.section, p.row) for p in examples} >= {("sources", 2), ("tables", 2), ("fields", 2)}
    assert all(p.severity is Severity.WARNING for p in examples)
    assert "template's example row" in examples[0].message


async def test_hostile_inputs_are_refused_or_read_whole(
    transfer: ImportService, tmp_path: Path
) -> None:
    # Nested YAML aliases would expand exponentially: refused with the line.
    bomb = tmp_path / "catalog.yaml"
    bomb.write_text(
        "a: &a [x, x, x]\nb: &b [*a, *a, *a]\ntables:\n  - name: t\n    description: *b\n"
    )
    job = await run_import(transfer, bomb, dry_run=True)
    assert "aliases" in by_code(job, "MALFORMED_YAML")[0].message

    # Blank lines above the header: the rows are read, numbered as the file shows them.
    tables = tmp_path / "tables.csv"
    tables.write_text("\n\nschema,name\nsales,orders\nsales,\n")
    job = await run_import(transfer, tables, dry_run=True)
    assert job.report is not None
    assert job.report.sections["tables"].samples[0].key == "sales.orders"
    assert [p.row for p in job.report.problems] == [5]


async def test_a_zip_declaring_gigabytes_is_refused_before_unpacking(
    transfer: ImportService, tmp_path: Path
) -> None:
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            chunk = b"<si><t>x</t></si>" * 65536
            for _ in range(60):  # ~67 MB of strings that deflate to almost nothing
                member.write(chunk)
    job = await run_import(transfer, path, dry_run=True)
    problems = by_code(job, "UNREADABLE_FILE")
    assert problems and "sharedStrings.xml" in problems[0].message


async def test_names_with_invisible_characters_are_refused_as_in_the_api(
    transfer: ImportService, tmp_path: Path
) -> None:
    path = tmp_path / "tables.csv"
    path.write_text(
        "schema,name,tags\nsales,orders\u202e,\nsales,items,ok;hid\u200bden\nsales,plain,\n",
        encoding="utf-8",
    )

    job = await run_import(transfer, path, mode=ImportMode.SKIP_INVALID)

    problems = by_code(job, "INVALID_VALUE")
    assert [(p.row, p.column) for p in problems] == [(2, "name"), (3, "tags")]
    assert problems[0].message == (
        "Row 2 of 'tables.csv': in the column 'name', the name 'orders\\u202e' contains the "
        "invisible character U+202E (right-to-left override); names and tags cannot hold "
        "control or invisible characters (they make one name look like another, and an "
        "export to Excel drops them): remove it."
    )
    assert job.report is not None and job.report.sections["tables"].created == 1
