"""Importing as a data steward does it: preview, apply, the provenance rules, the audit trail,
and files of ten thousand rows."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from graph_api.services import transfer as transfer_service
from graph_api.services.transfer import ImportMode, JobStatus, TransferService
from graph_api.store.client import Store
from graph_api.transfer.report import Outcome, ProblemCode
from tests.transfer.conftest import (
    by_code,
    count,
    count_edges,
    run_import,
    snapshot,
    workbook,
)

TABLES = ["schema", "name", "description"]
FIELDS = ["schema", "table", "name"]
LINEAGE = [
    "upstream_schema",
    "upstream_table",
    "upstream_field",
    "downstream_schema",
    "downstream_table",
    "downstream_field",
    "lineage_source",
    "confidence",
    "transformation_type",
]


def small_catalog(path: Path, *, lineage: list[list[Any]] | None = None) -> Path:
    return workbook(
        path,
        {
            "tables": [TABLES, ["crm", "customers", "People"], ["dw", "dim_customer", None]],
            "fields": [
                FIELDS,
                ["crm", "customers", "id"],
                ["crm", "customers", "email"],
                ["dw", "dim_customer", "key"],
                ["dw", "dim_customer", "email"],
            ],
            "field_lineage": [
                LINEAGE,
                *(
                    lineage
                    or [
                        [
                            "crm",
                            "customers",
                            "id",
                            "dw",
                            "dim_customer",
                            "key",
                            "APPROVED",
                            None,
                            "ETL",
                        ],
                        [
                            "crm",
                            "customers",
                            "email",
                            "dw",
                            "dim_customer",
                            "email",
                            "MANUAL",
                            0.8,
                            "COPY",
                        ],
                    ]
                ),
            ],
        },
    )


async def test_preview_writes_nothing_and_counts_what_would_change(
    transfer: TransferService, store: Store, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    before = await snapshot(store)
    changes = await count(store, "Change")
    path = workbook(
        tmp_path / "second.xlsx",
        {
            "tables": [
                TABLES,
                ["crm", "customers", "Every customer"],
                ["crm", "orders", None],
                ["dw", "dim_customer", None],
            ],
        },
    )

    job = await run_import(transfer, path, dry_run=True)

    report = job.report
    assert report is not None and report.outcome is Outcome.PREVIEWED
    tables = report.sections["tables"]
    assert (tables.rows, tables.created, tables.updated, tables.unchanged) == (3, 1, 1, 1)
    [updated] = [s for s in tables.samples if s.action == "updated"]
    assert (updated.row, updated.key, updated.changes) == (
        2,
        "crm.customers",
        [("description", "People", "Every customer")],
    )
    assert [s.key for s in tables.samples if s.action == "created"] == ["crm.orders"]
    assert await snapshot(store) == before
    assert await count(store, "Change") == changes
    assert job.progress.rows_written == 0


async def test_all_or_nothing_with_one_bad_row_writes_nothing(
    transfer: TransferService, store: Store, tmp_path: Path
) -> None:
    rows = [["s", f"t{i}", None] for i in range(2500)]
    rows[2100][1] = None  # one table without a name, in the third batch
    path = workbook(tmp_path / "many.xlsx", {"tables": [TABLES, *rows]})

    job = await run_import(transfer, path)

    report = job.report
    assert report is not None and report.outcome is Outcome.NOTHING_APPLIED
    assert [(p.row, p.code) for p in report.problems] == [(2102, ProblemCode.REQUIRED_VALUE)]
    assert report.sections["tables"].created == 2499  # what it would have done
    assert await count(store, "Table") == 0
    assert await count(store, "Change") == 0
    assert job.progress.rows_written == 0

    job = await run_import(transfer, path, mode=ImportMode.SKIP_INVALID)
    assert job.report is not None and job.report.outcome is Outcome.PARTIALLY_APPLIED
    assert await count(store, "Table") == 2499


async def test_a_failure_part_way_leaves_the_catalog_as_it_was(
    transfer: TransferService, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    before = await snapshot(store)
    path = workbook(
        tmp_path / "many.xlsx",
        {
            "tables": [TABLES, *[["s", f"t{i}", None] for i in range(3000)]],
        },
    )
    real_apply = TransferService._apply
    batches = 0

    async def failing_apply(self: TransferService, *args: Any) -> Any:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise RuntimeError("the database went away")
        return await real_apply(self, *args)

    monkeypatch.setattr(TransferService, "_apply", failing_apply)

    job = await transfer.run(
        path=path, file_name=path.name, options=transfer_service.ImportOptions()
    )

    assert job.status is JobStatus.FAILED
    assert job.failure is not None and "nothing was written" in job.failure
    assert batches == 3
    assert await snapshot(store) == before


async def test_inferred_lineage_never_overwrites_manual_or_approved_lineage(
    transfer: TransferService, store: Store, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    before = await snapshot(store)
    path = small_catalog(
        tmp_path / "scan.xlsx",
        lineage=[
            ["crm", "customers", "id", "dw", "dim_customer", "key", "INFERRED", 0.4, "COPY"],
            ["crm", "customers", "email", "dw", "dim_customer", "email", "INFERRED", 0.3, None],
        ],
    )

    job = await run_import(transfer, path)

    report = job.report
    assert report is not None and report.error_count == 0
    assert report.outcome is Outcome.APPLIED
    assert report.sections["field_lineage"].kept == 2
    kept = by_code(job, "KEPT_EXISTING")
    assert [p.row for p in kept] == [2, 3]
    assert "an APPROVED edge already runs from 'crm.customers.id' to 'dw.dim_customer.key'" in (
        kept[0].message
    )
    assert await snapshot(store) == before
    records, _, _ = await store.driver.execute_query(
        "MATCH (c:Change {action: 'SUGGESTION'}) RETURN count(c) AS n, collect(c.actor) AS actors",
        database_=store.database,
    )
    assert records[0]["n"] == 2 and set(records[0]["actors"]) == {"importer"}


async def test_approved_lineage_is_downgraded_only_when_the_import_allows_it(
    transfer: TransferService, store: Store, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    before = await snapshot(store)
    edit = small_catalog(
        tmp_path / "edit.xlsx",
        lineage=[
            ["crm", "customers", "id", "dw", "dim_customer", "key", "MANUAL", None, "ETL"],
            ["crm", "customers", "email", "dw", "dim_customer", "email", "MANUAL", 0.9, "COPY"],
        ],
    )

    refused = await run_import(transfer, edit)

    [problem] = by_code(refused, "APPROVED_DOWNGRADE")
    assert problem.row == 2 and problem.column == "lineage_source"
    assert "An import does not downgrade approved lineage" in problem.message
    assert "'allow downgrade'" in problem.message
    assert refused.report is not None and refused.report.outcome is Outcome.NOTHING_APPLIED
    assert await snapshot(store) == before

    allowed = await run_import(transfer, edit, allow_downgrade=True)

    report = allowed.report
    assert report is not None and report.outcome is Outcome.APPLIED
    [warning] = by_code(allowed, "DOWNGRADE_ALLOWED")
    assert "now MANUAL with review state PENDING" in warning.message
    records, _, _ = await store.driver.execute_query(
        "MATCH (:Field {name: 'id'})-[r:FLOWS_TO]->(:Field {name: 'key'}) "
        "RETURN r.lineage_source AS source, r.review_state AS state, r.confidence AS confidence",
        database_=store.database,
    )
    assert records[0].data() == {"source": "MANUAL", "state": "PENDING", "confidence": 0.9}


async def test_field_lineage_keeps_the_implied_table_edge_in_step(
    transfer: TransferService, store: Store, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    records, _, _ = await store.driver.execute_query(
        "MATCH (:Table {name: 'customers'})-[r:FLOWS_TO]->(:Table {name: 'dim_customer'}) "
        "RETURN r.explicit AS explicit, r.lineage_source AS source",
        database_=store.database,
    )
    assert [r.data() for r in records] == [{"explicit": False, "source": "APPROVED"}]

    rejected = workbook(
        tmp_path / "reject.xlsx",
        {
            "field_lineage": [
                [*LINEAGE[:6], "lineage_source", "review_state", "review_comment"],
                ["crm", "customers", "id", "dw", "dim_customer", "key", "APPROVED", None, None],
                [
                    "crm",
                    "customers",
                    "email",
                    "dw",
                    "dim_customer",
                    "email",
                    None,
                    "REJECTED",
                    "not really",
                ],
            ]
        },
    )
    job = await run_import(transfer, rejected, allow_downgrade=True)
    assert job.report is not None and job.report.outcome is Outcome.APPLIED

    records, _, _ = await store.driver.execute_query(
        "MATCH (:Field {name: 'email'})-[r:FLOWS_TO]->(:Field {name: 'email'}) "
        "RETURN r.review_state AS state, r.reviewed_by AS reviewer, r.reviewed_at IS NOT NULL "
        "AS stamped",
        database_=store.database,
    )
    assert records[0].data() == {"state": "REJECTED", "reviewer": "importer", "stamped": True}
    # Still one live (approved) field edge under the table edge, so it stays.
    assert await count_edges(store, "TABLE") == 1


async def test_imports_are_audited_in_batches_by_the_importer(
    transfer: TransferService, store: Store, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "audit.xlsx",
        {
            "tables": [TABLES, *[["s", f"t{i}", None] for i in range(2500)]],
        },
    )
    sent = store.statements_sent

    job = await run_import(transfer, path, batch_size=1000)

    assert job.report is not None and job.report.outcome is Outcome.APPLIED
    # Three batches: a handful of lookups, one write and one audit statement each (plus the
    # job's own bookkeeping): round trips grow with batches, not rows.
    assert store.statements_sent - sent < 40
    records, _, _ = await store.driver.execute_query(
        "MATCH (c:Change {entity_type: 'TABLE', action: 'CREATE'}) "
        "RETURN count(c) AS n, collect(DISTINCT c.actor) AS actors, "
        "collect(DISTINCT c.comment) AS comments",
        database_=store.database,
    )
    row = records[0]
    assert row["n"] == 2500 and row["actors"] == ["importer"]
    assert row["comments"] == [f"Imported from 'audit.xlsx' (job {job.id})."]


async def test_ten_thousand_rows_import_without_errors(
    transfer: TransferService, store: Store, tmp_path: Path
) -> None:
    tables = [["schema", "name", "kind", "tags"]]
    fields = [["schema", "table", "name", "data_type", "ordinal_position"]]
    lineage = [
        [
            "upstream_schema",
            "upstream_table",
            "upstream_field",
            "downstream_schema",
            "downstream_table",
            "downstream_field",
            "lineage_source",
            "confidence",
        ]
    ]
    for t in range(500):
        tables.append(["bulk", f"t{t:04}", "TABLE", "bulk; test"])
        for f in range(15):
            fields.append(["bulk", f"t{t:04}", f"c{f}", "varchar", str(f + 1)])
        if t:
            for f in range(5):
                lineage.append(
                    [
                        "bulk",
                        f"t{t - 1:04}",
                        f"c{f}",
                        "bulk",
                        f"t{t:04}",
                        f"c{f}",
                        "INFERRED" if f % 2 else "MANUAL",
                        "0.7",
                    ]
                )
    path = tmp_path / "bulk.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, rows in (("tables", tables), ("fields", fields), ("field_lineage", lineage)):
            text = io.StringIO()
            csv.writer(text).writerows(rows)
            archive.writestr(f"{name}.csv", text.getvalue())
    total = len(tables) + len(fields) + len(lineage) - 3
    assert total >= 10_000

    job = await run_import(transfer, path)

    report = job.report
    assert report is not None
    assert report.error_count == 0 and report.outcome is Outcome.APPLIED, report.problems[:3]
    assert job.progress.rows_total == total
    assert job.progress.rows_written == total
    assert await count(store, "Field") == 7500
    assert await count_edges(store, "FIELD") == len(lineage) - 1
    assert await count_edges(store, "TABLE") == 499  # implied by the field lineage


async def test_imported_tables_and_fields_can_be_searched(
    transfer: TransferService, gql: Any, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))

    data = await gql('{ search(query: "dim") { node { __typename ... on Table { name } } } }')

    assert {"__typename": "Table", "name": "dim_customer"} in [h["node"] for h in data["search"]]
