"""Importing as a data steward does it: preview, apply, the provenance rules, the audit trail,
and files of ten thousand rows."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from graph_api.auth.roles import Principal, Role
from graph_api.interchange.format import Encoding
from graph_api.interchange.report import Outcome, ProblemCode
from graph_api.services import imports as transfer_service
from graph_api.services.identity import IdentityService
from graph_api.services.imports import ImportMode, ImportOptions, ImportService, JobStatus
from graph_api.settings import Settings
from graph_api.store.audit import AuditRepository
from graph_api.store.client import Store
from graph_api.store.interchange import InterchangeRepository
from graph_api.store.lineage import LineageRepository
from tests.interchange.conftest import (
    by_code,
    count,
    count_edges,
    export,
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
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    before = await snapshot(store)
    changes = await count(store, "Change") + await count(store, "ChangeSet")
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
    assert await count(store, "Change") + await count(store, "ChangeSet") == changes
    assert job.progress.rows_written == 0


async def test_all_or_nothing_with_one_bad_row_writes_nothing(
    transfer: ImportService, store: Store, tmp_path: Path
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
    assert await count(store, "Change") + await count(store, "ChangeSet") == 0
    assert job.progress.rows_written == 0

    job = await run_import(transfer, path, mode=ImportMode.SKIP_INVALID)
    assert job.report is not None and job.report.outcome is Outcome.PARTIALLY_APPLIED
    assert await count(store, "Table") == 2499


async def test_a_failure_part_way_leaves_the_catalog_as_it_was(
    transfer: ImportService, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    before = await snapshot(store)
    path = workbook(
        tmp_path / "many.xlsx",
        {
            "tables": [TABLES, *[["s", f"t{i}", None] for i in range(3000)]],
        },
    )
    real_write = InterchangeRepository.create_tables
    batches = 0

    async def failing_write(self: InterchangeRepository, *args: Any) -> Any:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise RuntimeError("the database went away")
        return await real_write(self, *args)

    monkeypatch.setattr(InterchangeRepository, "create_tables", failing_write)

    job = await transfer.run(
        path=path, file_name=path.name, options=transfer_service.ImportOptions()
    )

    assert job.status is JobStatus.FAILED
    assert job.failure is not None and "nothing was written" in job.failure
    assert batches == 3
    assert await snapshot(store) == before
    # Two batches had been sent before the failure, but none of it was committed.
    assert job.progress.rows_written == 0


async def test_inferred_lineage_never_overwrites_manual_or_approved_lineage(
    transfer: ImportService, store: Store, tmp_path: Path
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
        "MATCH (:Field)-[r:FLOWS_TO]->(:Field) RETURN r.id AS id", database_=store.database
    )
    for record in records:
        page = await AuditRepository(store).history(entity_id=record["id"], first=10, after=None)
        suggestion = page.items[0]
        assert (suggestion.action, suggestion.actor) == ("SUGGESTION", "importer")
        assert suggestion.after is not None
        assert json.loads(suggestion.after)["lineage_source"] == "INFERRED"


async def test_approved_lineage_is_downgraded_only_when_the_import_allows_it(
    transfer: ImportService, store: Store, tmp_path: Path
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
    transfer: ImportService, store: Store, tmp_path: Path
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
    transfer: ImportService, store: Store, tmp_path: Path
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
    # One audit record per batch, holding the batch's 1000 (then 500) changes.
    records, _, _ = await store.driver.execute_query(
        "MATCH (s:ChangeSet) RETURN s.job_id AS job, size(s.entity_ids) AS n ORDER BY n DESC",
        database_=store.database,
    )
    assert [(r["job"], r["n"]) for r in records] == [(job.id, 1000)] * 2 + [(job.id, 500)]
    tables, _, _ = await store.driver.execute_query(
        "MATCH (t:Table) RETURN t.id AS id, t.name AS name", database_=store.database
    )
    assert len(tables) == 2500
    for table in tables[:: len(tables) // 5]:
        page = await AuditRepository(store).history(entity_id=table["id"], first=10, after=None)
        [change] = page.items
        assert page.total_count == 1
        assert (change.entity_type, change.action, change.actor) == ("TABLE", "CREATE", "importer")
        assert change.comment == f"Imported from 'audit.xlsx' (job {job.id})."
        assert change.before is None
        assert change.after is not None
        assert json.loads(change.after)["qualified_name"] == f"s.{table['name']}"


async def test_ten_thousand_rows_import_without_errors(
    transfer: ImportService, store: Store, tmp_path: Path
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
    transfer: ImportService, gql: Any, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))

    data = await gql('{ search(query: "dim") { node { __typename ... on Table { name } } } }')

    assert {"__typename": "Table", "name": "dim_customer"} in [h["node"] for h in data["search"]]


HISTORY = (
    "query ($id: ID!, $after: String) { history(entityId: $id, first: 2, after: $after) { "
    "totalCount edges { cursor } nodes { action actor comment before after } } }"
)


async def test_history_shows_what_each_import_changed_among_other_changes(
    transfer: ImportService, store: Store, gql: Any, tmp_path: Path
) -> None:
    first = await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    records, _, _ = await store.driver.execute_query(
        "MATCH (t:Table {name: 'customers'}) RETURN t.id AS id", database_=store.database
    )
    table_id = records[0]["id"]
    await gql(
        'mutation ($id: ID!) { updateTable(id: $id, input: {tags: ["pii"]}) { __typename } }',
        {"id": table_id},
    )
    second = await run_import(
        transfer,
        workbook(tmp_path / "second.xlsx", {"tables": [TABLES, ["crm", "customers", None]]}),
    )

    page = await gql(HISTORY, {"id": table_id}, actor="ana")
    rest = await gql(
        HISTORY, {"id": table_id, "after": page["history"]["edges"][-1]["cursor"]}, actor="ana"
    )

    assert page["history"]["totalCount"] == 3
    update, manual = page["history"]["nodes"]
    [create] = rest["history"]["nodes"]
    assert (update["action"], update["actor"]) == ("UPDATE", "importer")
    assert update["comment"] == f"Imported from 'second.xlsx' (job {second.id})."
    # Only what changed, and a cleared value says so.
    assert (update["before"], update["after"]) == (
        {"description": "People"},
        {"description": None},
    )
    assert (manual["action"], manual["actor"]) == ("UPDATE", "tester")
    assert (create["action"], create["actor"], create["before"]) == ("CREATE", "importer", None)
    assert create["comment"] == f"Imported from 'first.xlsx' (job {first.id})."
    assert create["after"] == {
        "description": "People",
        "kind": "TABLE",
        "name": "customers",
        "qualified_name": "crm.customers",
        "schema": "crm",
    }


async def test_a_row_renaming_a_table_and_a_row_with_its_old_name_are_reported_not_merged(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    records, _, _ = await store.driver.execute_query(
        "MATCH (t:Table {name: 'customers'}) RETURN t.id AS id", database_=store.database
    )
    table_id = records[0]["id"]
    before = await snapshot(store)
    path = workbook(
        tmp_path / "rename.xlsx",
        {
            "tables": [
                ["id", "schema", "name", "description"],
                [table_id, "crm", "clients", "Renamed"],
                [None, "crm", "customers", "Still people"],
            ]
        },
    )

    job = await run_import(transfer, path)

    [problem] = by_code(job, "DUPLICATE_ROW")
    assert problem.row == 3
    assert f"the table 'crm.customers' is the table with id '{table_id}'" in problem.message
    assert (
        "already in Row 2 of 'tables'" in problem.message
        and "keep one of the two rows" in problem.message
    )
    assert job.report is not None and job.report.outcome is Outcome.NOTHING_APPLIED
    assert await snapshot(store) == before


async def test_one_field_named_by_its_id_and_by_its_name_is_reported_not_merged(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    await run_import(transfer, small_catalog(tmp_path / "first.xlsx"))
    records, _, _ = await store.driver.execute_query(
        "MATCH (:Table {name: 'customers'})-[:HAS_FIELD]->(f:Field {name: 'email'}) "
        "RETURN f.id AS id",
        database_=store.database,
    )
    field_id = records[0]["id"]
    path = workbook(
        tmp_path / "fields.xlsx",
        {
            "fields": [
                ["id", "schema", "table", "name", "description"],
                [field_id, "crm", "customers", "mail", "Renamed"],
                [None, "crm", "customers", "email", "Where we write"],
            ]
        },
    )

    job = await run_import(transfer, path, mode=ImportMode.SKIP_INVALID)

    [problem] = by_code(job, "DUPLICATE_ROW")
    assert problem.row == 3 and "already in Row 2 of 'fields'" in problem.message
    assert f"the field 'crm.customers.email' is the field with id '{field_id}'" in problem.message
    assert job.report is not None and job.report.outcome is Outcome.PARTIALLY_APPLIED
    # The renaming row was imported; the other was not merged into it.
    records, _, _ = await store.driver.execute_query(
        "MATCH (f:Field {id: $id}) RETURN f.name AS name, f.description AS description",
        id=field_id,
        database_=store.database,
    )
    assert records[0].data() == {"name": "mail", "description": "Renamed"}
    assert await count(store, "Field") == 4


async def test_a_committed_import_says_so_even_if_the_process_dies_before_its_last_write(
    transfer: ImportService, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = small_catalog(tmp_path / "first.xlsx")
    real_update = InterchangeRepository.update_job

    async def dying_update(self: InterchangeRepository, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("finished") and kwargs.get("tx") is None:
            raise RuntimeError("the process was killed")  # after the import's commit
        return await real_update(self, *args, **kwargs)

    monkeypatch.setattr(InterchangeRepository, "update_job", dying_update)

    with pytest.raises(RuntimeError):
        await transfer.run(path=path, file_name=path.name, options=ImportOptions())

    records, _, _ = await store.driver.execute_query(
        "MATCH (j:ImportJob) RETURN j.id AS id", database_=store.database
    )
    job = await transfer.job(records[0]["id"])
    assert job is not None and job.status is JobStatus.SUCCEEDED
    assert job.finished_at is not None
    assert job.report is not None and job.report.outcome is Outcome.APPLIED
    assert job.progress.rows_written == 8 == job.progress.rows_total
    assert await count(store, "Table") == 2


async def test_a_cancelled_import_is_interrupted_with_nothing_written(
    transfer: ImportService, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = workbook(
        tmp_path / "many.xlsx", {"tables": [TABLES, *[["s", f"t{i}", None] for i in range(2500)]]}
    )
    real_write = InterchangeRepository.create_tables
    batches = 0

    async def cancelled_write(self: InterchangeRepository, *args: Any) -> Any:
        nonlocal batches
        batches += 1
        result = await real_write(self, *args)
        if batches == 2:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()  # as the service does to running imports when it stops
        return result

    monkeypatch.setattr(InterchangeRepository, "create_tables", cancelled_write)

    submitted = await transfer.submit(
        path=path, file_name=path.name, options=ImportOptions(), owns_file=False
    )
    job = await transfer.wait(submitted.id)

    assert job.status is JobStatus.INTERRUPTED
    assert job.failure is not None and "nothing was written" in job.failure
    assert job.progress.rows_written == 0
    assert await count(store, "Table") == 0


async def test_cancelling_a_wait_cancels_the_waiter_not_the_import(
    transfer: ImportService, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = small_catalog(tmp_path / "first.xlsx")
    entered, release = asyncio.Event(), asyncio.Event()
    real_write = InterchangeRepository.create_tables

    async def held_write(self: InterchangeRepository, *args: Any) -> Any:
        entered.set()
        await release.wait()
        return await real_write(self, *args)

    monkeypatch.setattr(InterchangeRepository, "create_tables", held_write)
    submitted = await transfer.submit(
        path=path, file_name=path.name, options=ImportOptions(), owns_file=False
    )
    await entered.wait()

    waiter = asyncio.create_task(transfer.wait(submitted.id))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    job = await transfer.wait(submitted.id)

    assert waiter.cancelled()
    assert job.status is JobStatus.SUCCEEDED
    assert await count(store, "Table") == 2


async def test_finished_jobs_older_than_the_retention_period_are_pruned(
    store: Store, tmp_path: Path
) -> None:
    await store.driver.execute_query(
        "CREATE (:ImportJob {id: 'ancient', status: 'SUCCEEDED', "
        "finished_at: datetime() - duration({days: 40})}), "
        "(:ImportJob {id: 'recent', status: 'SUCCEEDED', "
        "finished_at: datetime() - duration({days: 2})}), "
        "(:ImportJob {id: 'old-but-running', status: 'RUNNING'})",
        database_=store.database,
    )
    service = ImportService(store, actor="importer", job_retention_days=30)
    path = tmp_path / "tables.csv"
    path.write_text("schema,name\nsales,orders\n")

    await run_import(service, path, dry_run=True)

    records, _, _ = await store.driver.execute_query(
        "MATCH (j:ImportJob) WHERE j.id IN ['ancient', 'recent', 'old-but-running'] "
        "RETURN j.id AS id ORDER BY id",
        database_=store.database,
    )
    assert [r["id"] for r in records] == ["old-but-running", "recent"]


async def test_a_new_table_cannot_take_the_id_of_a_user_an_api_token_or_another_row(
    transfer: ImportService, store: Store, settings: Settings, tmp_path: Path
) -> None:
    identity = IdentityService(store, settings)
    user, _ = await identity.create_user(
        actor="setup", username="olga", role=Role.EDITOR, password="a long enough password 1"
    )
    token, _ = await identity.create_api_token(
        Principal(user.id, "olga", Role.EDITOR), name="ci", expires_in_days=None
    )
    path = workbook(
        tmp_path / "catalog.xlsx",
        {
            "tables": [
                ["schema", "name", "id"],
                ["crm", "customers", user.id],
                ["crm", "orders", token.id],
                ["crm", "items", "shared-id"],
            ],
            "fields": [["schema", "table", "name", "id"], ["crm", "items", "sku", "shared-id"]],
        },
    )

    job = await run_import(transfer, path, mode=ImportMode.SKIP_INVALID)

    problems = by_code(job, "ID_IN_USE")
    assert [(p.section, p.row) for p in problems] == [("tables", 2), ("tables", 3), ("fields", 2)]
    assert problems[0].message == (
        f"Row 2 of 'tables': the id '{user.id}' is already in use in Clew, so it cannot be "
        "given to a new table (ids are unique across every kind); clear the id to let Clew "
        "choose one."
    )
    assert "is already given to the table in Row 4 of 'tables'" in problems[2].message
    # Nothing took the user's or the token's id, so their histories stay their own.
    page = await AuditRepository(store).history(entity_id=user.id, first=10, after=None)
    assert "TABLE" not in {c.entity_type for c in page.items}
    assert await count(store, "Table") == 1 and await count(store, "Field") == 0


async def test_a_new_lineage_edge_cannot_take_the_id_of_a_user_a_token_or_a_table(
    transfer: ImportService, store: Store, settings: Settings, tmp_path: Path
) -> None:
    identity = IdentityService(store, settings)
    user, _ = await identity.create_user(
        actor="setup", username="oleg", role=Role.EDITOR, password="a long enough password 1"
    )
    token, _ = await identity.create_api_token(
        Principal(user.id, "oleg", Role.EDITOR), name="ci", expires_in_days=None
    )
    await run_import(transfer, small_catalog(tmp_path / "catalog.xlsx"))
    table_id = (await _node_ids(store, "Table"))[0]
    path = workbook(
        tmp_path / "lineage.xlsx",
        {
            "tables": [TABLES, ["crm", "orders", None]],
            "table_lineage": [
                [
                    "upstream_schema",
                    "upstream_table",
                    "downstream_schema",
                    "downstream_table",
                    "id",
                ],
                ["crm", "orders", "dw", "dim_customer", user.id],
                ["dw", "dim_customer", "crm", "customers", token.id],
            ],
            "field_lineage": [
                [*LINEAGE[:6], "id"],
                ["crm", "customers", "id", "dw", "dim_customer", "email", table_id],
            ],
        },
    )

    job = await run_import(transfer, path, mode=ImportMode.SKIP_INVALID)

    problems = by_code(job, "ID_IN_USE")
    assert job.report is not None
    assert [(p.section, p.row) for p in problems] == [
        ("table_lineage", 2),
        ("table_lineage", 3),
        ("field_lineage", 2),
    ]
    assert problems[0].message == (
        f"Row 2 of 'table_lineage': the id '{user.id}' is already in use in Clew, so it cannot "
        "be given to a new lineage edge (ids are unique across every kind); clear the id to let "
        "Clew choose one."
    )
    assert "already belongs to a table in the catalog" in problems[2].message
    records, _, _ = await store.driver.execute_query(
        "MATCH ()-[r:FLOWS_TO]->() WHERE r.id IN $ids RETURN count(r) AS n",
        ids=[user.id, token.id, table_id],
        database_=store.database,
    )
    assert records[0]["n"] == 0


async def _node_ids(store: Store, label: str) -> list[str]:
    records, _, _ = await store.driver.execute_query(
        f"MATCH (n:{label}) RETURN n.id AS id ORDER BY id", database_=store.database
    )
    return [r["id"] for r in records]


async def test_new_sources_tables_and_fields_are_created_at_the_servers_time(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    stamps = ["2020-01-01T00:00:00Z", "2020-06-01T00:00:00Z"]
    path = workbook(
        tmp_path / "backdated.xlsx",
        {
            "sources": [
                ["name", "type", "created_at", "updated_at"],
                ["crm", "POSTGRESQL", *stamps],
            ],
            "tables": [
                ["source", "schema", "name", "created_at", "updated_at"],
                ["crm", "public", "customers", *stamps],
            ],
            "fields": [
                ["source", "schema", "table", "name", "created_at"],
                ["crm", "public", "customers", "email", stamps[0]],
            ],
        },
    )

    job = await run_import(transfer, path)

    assert job.report is not None and job.report.outcome is Outcome.APPLIED
    records, _, _ = await store.driver.execute_query(
        "MATCH (n) WHERE n:Source OR n:Table OR n:Field "
        "RETURN n.created_at.year AS created, n.updated_at.year AS updated",
        database_=store.database,
    )
    assert len(records) == 3
    assert all(r["created"] != 2020 and r["updated"] != 2020 for r in records)
    ignored = by_code(job, "IGNORED_VALUE")
    assert [(p.section, p.column) for p in ignored] == [
        ("sources", "created_at"),
        ("tables", "created_at"),
        ("fields", "created_at"),
    ]
    assert ignored[0].message == (
        "Row 2 of 'sources': created_at, updated_at were ignored: Clew records when it creates "
        "and changes a source, as it happens."
    )

    # An export imported again passes quietly: the values are what Clew recorded.
    again = tmp_path / "again.json"
    again.write_bytes(await export(transfer, Encoding.JSON))
    job = await run_import(transfer, again)
    assert job.report is not None and job.report.warning_count == 0, job.report.problems


# Review integrity (issue 10, item 6): review state and review fields change only through a
# steward's decision; who created lineage and when is what the server saw.

REVIEW_COLUMNS = [*LINEAGE[:6], "lineage_source", "review_state", "review_comment"]


async def _edge(store: Store, field: str) -> dict[str, Any]:
    records, _, _ = await store.driver.execute_query(
        "MATCH (:Field {name: $field})-[r:FLOWS_TO]->(:Field) "
        "RETURN r.lineage_source AS source, r.review_state AS state, r.reviewed_by AS reviewer, "
        "r.reviewed_at AS reviewed_at, r.review_comment AS comment, r.created_by AS creator, "
        "r.created_at.year AS year",
        field=field,
        database_=store.database,
    )
    return records[0].data()


async def _as_editor(store: Store, path: Path) -> Any:
    job = await ImportService(store, actor="editor").run(
        path=path, file_name=path.name, options=ImportOptions(may_review=False)
    )
    assert job.failure is None and job.report is not None
    return job


EMAIL_EDGE = ["crm", "customers", "email", "dw", "dim_customer", "email"]


def _email_review(
    path: Path, source: str | None, state: str | None, comment: str | None = None
) -> Path:
    """A file with one row about the customers.email -> dim_customer.email edge."""
    return workbook(
        path, {"field_lineage": [REVIEW_COLUMNS, [*EMAIL_EDGE, source, state, comment]]}
    )


def _inferred_email(path: Path) -> Path:
    return small_catalog(
        path,
        lineage=[[*EMAIL_EDGE, "INFERRED", 0.6]],
    )


async def test_an_import_cannot_take_pending_lineage_out_of_the_review_queue(
    store: Store, tmp_path: Path
) -> None:
    await _as_editor(store, _inferred_email(tmp_path / "first.xlsx"))
    attack = _email_review(tmp_path / "attack.xlsx", None, "NOT_REQUIRED")

    job = await _as_editor(store, attack)

    assert job.report.outcome is Outcome.APPLIED
    assert (await _edge(store, "email"))["state"] == "PENDING"
    [warning] = by_code(job, "IGNORED_VALUE")
    assert (warning.column, warning.value) == ("review_state", "NOT_REQUIRED")
    assert "this edge is PENDING" in warning.message
    queue = await LineageRepository(store).review_queue(
        level=None,
        source_id=None,
        table_id=None,
        min_confidence=0.0,
        max_confidence=1.0,
        after=None,
        limit=10,
    )
    assert queue["field_edges"] == 1  # and the table edge it implies


async def test_redeclaring_a_rejected_edge_in_a_file_cannot_overturn_the_rejection(
    store: Store, transfer: ImportService, tmp_path: Path
) -> None:
    await _as_editor(store, _inferred_email(tmp_path / "first.xlsx"))
    reject = _email_review(tmp_path / "reject.xlsx", None, "REJECTED", "email is hashed first")
    await run_import(transfer, reject)  # a steward's file: the steward's decision
    rejected = await _edge(store, "email")
    assert (rejected["state"], rejected["reviewer"], rejected["comment"]) == (
        "REJECTED",
        "importer",
        "email is hashed first",
    )

    redeclare = _email_review(tmp_path / "manual.xlsx", "MANUAL", None)
    job = await _as_editor(store, redeclare)

    assert job.report.outcome is Outcome.APPLIED
    edge = await _edge(store, "email")
    # Back with a steward, with nobody's verdict on it; the rejection stays in history.
    assert (edge["source"], edge["state"], edge["reviewer"], edge["comment"]) == (
        "MANUAL",
        "PENDING",
        None,
        None,
    )
    assert edge["reviewed_at"] is None
    again = workbook(
        tmp_path / "inferred.xlsx",
        {
            "field_lineage": [
                [*LINEAGE[:6], "lineage_source", "confidence"],
                [*EMAIL_EDGE, "INFERRED", 0.9],
            ]
        },
    )
    # Pending MANUAL lineage is a person's: a scan-like INFERRED row cannot overwrite it.
    kept = await _as_editor(store, again)
    assert [p.code for p in kept.report.problems] == [ProblemCode.KEPT_EXISTING]


async def test_an_import_cannot_write_who_reviewed_or_created_lineage_or_when(
    store: Store, transfer: ImportService, tmp_path: Path
) -> None:
    columns = [
        *LINEAGE[:6],
        "lineage_source",
        "review_state",
        "reviewed_by",
        "reviewed_at",
        "review_comment",
        "created_by",
        "created_at",
    ]
    forged = ("admin", "2020-01-01T00:00:00Z", "looks fine", "admin", "2020-01-01T00:00:00Z")
    path = workbook(
        tmp_path / "forged.xlsx",
        {
            "tables": [TABLES, ["crm", "customers", None], ["dw", "dim_customer", None]],
            "fields": [
                FIELDS,
                ["crm", "customers", "id"],
                ["crm", "customers", "email"],
                ["dw", "dim_customer", "key"],
                ["dw", "dim_customer", "email"],
            ],
            "field_lineage": [
                columns,
                ["crm", "customers", "id", "dw", "dim_customer", "key", "MANUAL", None, *forged],
                [*EMAIL_EDGE, "INFERRED", "PENDING", *forged],
            ],
        },
    )

    job = await _as_editor(store, path)

    assert job.report.outcome is Outcome.APPLIED
    for name in ("id", "email"):
        edge = await _edge(store, name)
        assert edge["reviewer"] is None and edge["reviewed_at"] is None
        assert edge["comment"] is None
        assert edge["creator"] == "editor" and edge["year"] != 2020
    ignored = by_code(job, "IGNORED_VALUE")
    assert [(p.row, p.column) for p in ignored] == [(2, "reviewed_by"), (3, "reviewed_by")]
    assert all("reviewed_by, reviewed_at, review_comment, created_by, created_at" in p.message
               for p in ignored)  # fmt: skip

    # The same forgery on an existing edge, by a steward who approves it in the same row.
    approve = workbook(
        tmp_path / "approve.xlsx",
        {
            "field_lineage": [
                columns,
                [*EMAIL_EDGE, "APPROVED", "APPROVED", *forged],
            ]
        },
    )
    job = await run_import(transfer, approve)
    edge = await _edge(store, "email")
    assert (edge["state"], edge["reviewer"], edge["comment"], edge["creator"]) == (
        "APPROVED",
        "importer",
        "looks fine",  # the comment of the decision this steward's row makes
        "editor",
    )
    assert edge["reviewed_at"].year != 2020
    [warning] = by_code(job, "IGNORED_VALUE")
    assert "reviewed_by, reviewed_at, created_by, created_at" in warning.message


async def test_an_editors_file_cannot_approve_or_reject_lineage(
    store: Store, tmp_path: Path
) -> None:
    await _as_editor(store, _inferred_email(tmp_path / "first.xlsx"))
    job = await _as_editor(store, _email_review(tmp_path / "reject.xlsx", None, "REJECTED"))
    assert job.report.outcome is Outcome.NOTHING_APPLIED
    assert [p.code for p in job.report.problems] == [ProblemCode.ROLE_REQUIRED]
    assert (await _edge(store, "email"))["state"] == "PENDING"


async def test_review_comments_in_a_file_have_the_length_limit_of_the_api(
    store: Store, transfer: ImportService, tmp_path: Path
) -> None:
    await _as_editor(store, _inferred_email(tmp_path / "first.xlsx"))
    job = await run_import(
        transfer, _email_review(tmp_path / "long.xlsx", None, "REJECTED", "x" * 2_001)
    )
    assert job.report.outcome is Outcome.NOTHING_APPLIED
    [problem] = job.report.problems
    assert problem.column == "review_comment" and "2000" in problem.message.replace(",", "")
    assert (await _edge(store, "email"))["state"] == "PENDING"


async def test_an_import_file_is_the_origin_of_the_lineage_it_wrote(
    transfer: ImportService, store: Store, tmp_path: Path
) -> None:
    job = await run_import(transfer, small_catalog(tmp_path / "catalog.xlsx"))
    records, _, _ = await store.driver.execute_query(
        "MATCH (s:Assertion), (o:Origin {id: s.origin_id}) "
        "MATCH ()-[r:FLOWS_TO {id: s.edge_id}]->() "
        "RETURN o.kind AS kind, o.key AS key, s.evidence AS evidence, r.level AS level",
        database_=store.database,
    )
    assert sorted(r.data()["level"] for r in records) == ["FIELD", "FIELD"]
    assert {(r["kind"], r["key"]) for r in records} == {("IMPORT", "catalog.xlsx")}
    assert f'"job": "{job.id}"' in records[0]["evidence"]
