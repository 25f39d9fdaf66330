"""Scanning a real PostgreSQL as a new user would (the issue's "Done when"): register it,
discover it, dry-run a scan of two schemas and read the report, apply it, see the tables and
columns with the database's types, change the database, scan again and see exactly those
changes with the dropped column marked missing, confirm its removal, then put the source on a
schedule and see the next scan run by itself. Plus the faults a user can meet."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from graph_api.cli import main
from graph_api.scan_rules import Marker
from graph_api.services.imports import ImportOptions, ImportService
from graph_api.services.jobs import JobStatus
from graph_api.services.scans.apply import BatchWriter, writes_of
from graph_api.services.scans.schedules import Scheduler
from tests.conftest import GraphQLClient
from tests.servers import fixtures as servers
from tests.servers.fixtures import SERVERS_DIR
from tests.servers.sql import TEST_USER, ServerInfo

postgres = servers.postgres

SEED = f"""
CREATE SCHEMA svc_sales;
CREATE TABLE svc_sales.customers (
    id bigint PRIMARY KEY,
    email varchar(320) NOT NULL,
    born_on date
);
COMMENT ON COLUMN svc_sales.customers.email IS 'Where we write';
CREATE TABLE svc_sales.orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    amount numeric(12,2),
    note text
);
CREATE VIEW svc_sales.big_orders AS SELECT id, customer_id FROM svc_sales.orders WHERE customer_id > 100;
CREATE SCHEMA svc_hr;
CREATE TABLE svc_hr.people (id integer PRIMARY KEY, name text NOT NULL);
CREATE SCHEMA svc_other;
CREATE TABLE svc_other.ignored (id integer);
GRANT USAGE ON SCHEMA svc_sales, svc_hr, svc_other TO {TEST_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA svc_sales, svc_hr, svc_other TO {TEST_USER};
"""
DROP = "DROP SCHEMA IF EXISTS svc_sales, svc_hr, svc_other CASCADE"
CHANGE = f"""
CREATE TABLE svc_sales.refunds (id bigint PRIMARY KEY, order_id bigint NOT NULL);
ALTER TABLE svc_sales.orders DROP COLUMN note;
ALTER TABLE svc_sales.orders ALTER COLUMN amount TYPE numeric(14,4);
GRANT SELECT ON svc_sales.refunds TO {TEST_USER};
"""


def _superuser(postgres: ServerInfo) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=str(SERVERS_DIR / "postgres" / "run"),
        port=postgres.port,
        user="postgres",
        dbname=postgres.database,
        autocommit=True,
    )


@pytest.fixture
def database(postgres: ServerInfo) -> Iterator[ServerInfo]:
    with _superuser(postgres) as admin:
        admin.execute(DROP)
        admin.execute(SEED)
    yield postgres
    with _superuser(postgres) as admin:
        admin.execute(DROP)


CREATE = """mutation ($input: CreateSourceInput!) { createSource(input: $input) {
  ... on SourceSuccess { source { id } } ... on UserError { code message field } } }"""
DISCOVER = """query ($id: ID!) { discoverSource(sourceId: $id) {
  __typename
  ... on DiscoverSourceSuccess { namespaces { name total counts { kind count } } }
  ... on UserError { code message field } } }"""
START = """mutation ($input: StartScanInput!) { startScan(input: $input) {
  __typename
  ... on StartScanSuccess { job { id status } } ... on UserError { code message field } } }"""
JOB = """query ($id: ID!) { scanJob(id: $id) {
  id status failureReason failure trigger actor
  progress { phase namespacesTotal namespacesRead tablesRead tablesWritten }
  report {
    dryRun written summary unchanged batchesWritten
    added { qualifiedName tableId columnsAdded }
    changed { qualifiedName tableId columnsAdded columnsRemoved
              columnsChanged { name before after } }
    missing { qualifiedName tableId }
    warnings { namespace table reason message }
  } } }"""
TABLES = """query ($id: ID!) { source(id: $id) { tables {
  id qualifiedName kind definition missing updatedAt
  fields { id name dataType nullable primaryKey ordinalPosition description missing missingSince missingScanId }
} } }"""


def source_input(db: ServerInfo, **connection: Any) -> dict[str, Any]:
    return {
        "name": "shop",
        "type": "POSTGRESQL",
        "connection": {
            "host": db.host,
            "port": db.port,
            "database": db.database,
            "username": db.user,
            "password": db.password,
            **connection,
        },
    }


async def register(gql: GraphQLClient, db: ServerInfo) -> str:
    data = await gql(CREATE, {"input": source_input(db)})
    return data["createSource"]["source"]["id"]


async def scan(gql: GraphQLClient, source_id: str, **options: Any) -> dict[str, Any]:
    started = await gql(START, {"input": {"sourceId": source_id, **options}}, actor="ed")
    assert started["startScan"]["__typename"] == "StartScanSuccess", started
    job_id = started["startScan"]["job"]["id"]
    await gql.services.scans.wait(job_id)
    return (await gql(JOB, {"id": job_id}))["scanJob"]


async def tables(gql: GraphQLClient, source_id: str) -> dict[str, dict[str, Any]]:
    data = await gql(TABLES, {"id": source_id})
    return {t["qualifiedName"]: t for t in data["source"]["tables"]}


async def test_a_new_user_scans_postgres_and_keeps_it_in_sync(
    gql: GraphQLClient, database: ServerInfo
) -> None:
    source_id = await register(gql, database)

    found = await gql(DISCOVER, {"id": source_id})
    namespaces = {n["name"]: n for n in found["discoverSource"]["namespaces"]}
    assert {"svc_sales", "svc_hr", "svc_other"} <= set(namespaces)
    sales = {c["kind"]: c["count"] for c in namespaces["svc_sales"]["counts"]}
    assert sales["TABLE"] == 2 and sales["VIEW"] == 1

    # A dry run of two schemas reports what would come, and writes nothing.
    preview = await scan(gql, source_id, namespaces=["svc_sales", "svc_hr"], dryRun=True)
    assert preview["status"] == "SUCCEEDED", preview
    report = preview["report"]
    assert report["dryRun"] and not report["written"]
    assert sorted(t["qualifiedName"] for t in report["added"]) == [
        "svc_hr.people",
        "svc_sales.big_orders",
        "svc_sales.customers",
        "svc_sales.orders",
    ]
    assert report["summary"].startswith("Dry run: nothing was written.")
    assert await tables(gql, source_id) == {}

    # Applied: every table and column, with the database's types.
    applied = await scan(gql, source_id, namespaces=["svc_sales", "svc_hr"])
    assert applied["status"] == "SUCCEEDED", applied
    assert applied["report"]["written"] and len(applied["report"]["added"]) == 4
    assert applied["progress"]["tablesRead"] == 4
    catalog = await tables(gql, source_id)
    assert set(catalog) == {
        "svc_hr.people",
        "svc_sales.big_orders",
        "svc_sales.customers",
        "svc_sales.orders",
    }
    customers = {f["name"]: f for f in catalog["svc_sales.customers"]["fields"]}
    assert customers["id"]["dataType"] == "bigint" and customers["id"]["primaryKey"]
    assert customers["email"]["dataType"] == "character varying(320)"
    assert not customers["email"]["nullable"]
    assert customers["email"]["description"] == "Where we write"
    orders = {f["name"]: f for f in catalog["svc_sales.orders"]["fields"]}
    assert orders["amount"]["dataType"] == "numeric(12,2)"
    view = catalog["svc_sales.big_orders"]
    assert view["kind"] == "VIEW" and "customer_id > 100" in view["definition"]

    # The view's definition is parsed with the view as origin: its column lineage waits for
    # review (customer_id also feeds the filter, so it reaches both columns indirectly).
    found = await gql("""{ origins(kind: VIEW) { id key label } }""")
    [origin] = [o for o in found["origins"] if o["key"] == f"{source_id}/svc_sales.big_orders"]
    queue = await gql(
        """query ($o: ID!) { reviewQueue(originId: $o, level: FIELD) { edges {
          transformationType upstream { ... on Field { name table { qualifiedName } } }
          downstream { ... on Field { name table { qualifiedName } } } } } }""",
        {"o": origin["id"]},
    )
    direct = {
        (e["upstream"]["table"]["qualifiedName"], e["upstream"]["name"], e["downstream"]["name"])
        for e in queue["reviewQueue"]["edges"]
        if e["transformationType"] in ("DIRECT", "COPY")
    }
    assert direct == {
        ("svc_sales.orders", "id", "id"),
        ("svc_sales.orders", "customer_id", "customer_id"),
    }

    # A description someone wrote survives every scan.
    await gql(
        """mutation ($id: ID!) { updateField(id: $id, input: {description: "Money, in euros"}) {
          __typename } }""",
        {"id": orders["amount"]["id"]},
    )

    # Nothing changed: the re-scan writes nothing and bumps no updatedAt.
    before = await tables(gql, source_id)
    again = await scan(gql, source_id, namespaces=["svc_sales", "svc_hr"])
    assert again["status"] == "SUCCEEDED"
    assert not again["report"]["written"] and again["report"]["batchesWritten"] == 0
    assert len(again["report"]["unchanged"]) == 4
    assert again["report"]["summary"].startswith("Nothing changed in the source")
    assert await tables(gql, source_id) == before

    # The database changes: a table added, a column dropped, a type altered.
    with _superuser(database) as admin:
        admin.execute(CHANGE)
    rescan = await scan(gql, source_id, namespaces=["svc_sales", "svc_hr"])
    report = rescan["report"]
    assert [t["qualifiedName"] for t in report["added"]] == ["svc_sales.refunds"]
    assert [t["qualifiedName"] for t in report["changed"]] == ["svc_sales.orders"]
    change = report["changed"][0]
    assert change["columnsRemoved"] == ["note"]
    assert change["columnsChanged"] == [
        {
            "name": "amount",
            "before": {"dataType": "numeric(12,2)"},
            "after": {"dataType": "numeric(14,4)"},
        }
    ]
    assert sorted(report["unchanged"]) == [
        "svc_hr.people",
        "svc_sales.big_orders",
        "svc_sales.customers",
    ]
    orders = {f["name"]: f for f in (await tables(gql, source_id))["svc_sales.orders"]["fields"]}
    assert orders["amount"]["dataType"] == "numeric(14,4)"
    assert orders["amount"]["description"] == "Money, in euros"
    note = orders["note"]
    assert note["missing"] and note["missingScanId"] == rescan["id"] and note["missingSince"]

    # Every change is in the history, by the scan, naming its job.
    history = await gql(
        "query ($id: ID!) { history(entityId: $id) { nodes { action actor comment } } }",
        {"id": orders["amount"]["id"]},
    )
    newest = history["history"]["nodes"][0]
    assert newest["actor"] == f"scan:{rescan['id']}"
    assert rescan["id"] in newest["comment"]

    # Removal only on confirmation; a column still there is refused.
    refused = await gql(
        """mutation ($ids: [ID!]!) { removeMissing(ids: $ids) {
          __typename ... on UserError { code message field } } }""",
        {"ids": [orders["amount"]["id"]]},
    )
    assert refused["removeMissing"]["code"] == "VALIDATION"
    assert "not missing" in refused["removeMissing"]["message"]
    removed = await gql(
        """mutation ($ids: [ID!]!) { removeMissing(ids: $ids) {
          ... on RemoveMissingSuccess { removedIds } } }""",
        {"ids": [note["id"]]},
    )
    assert removed["removeMissing"]["removedIds"] == [note["id"]]
    orders = {f["name"] for f in (await tables(gql, source_id))["svc_sales.orders"]["fields"]}
    assert "note" not in orders

    # A schedule: the source shows its next run, and the scan runs by itself.
    scheduled = await gql(
        """mutation ($id: ID!) { setScanSchedule(sourceId: $id, input: {
            cron: "* * * * *", timeZone: "Europe/Berlin", namespaces: ["svc_hr"]}) {
          ... on ScanScheduleSuccess { source { scanSchedule { cron timeZone enabled nextRunAt } } }
          ... on UserError { code message field } } }""",
        {"id": source_id},
    )
    schedule = scheduled["setScanSchedule"]["source"]["scanSchedule"]
    assert schedule["enabled"] and schedule["nextRunAt"]
    scheduler = Scheduler(gql.services.schedules, poll=0.5)
    scheduler.start()
    try:
        last = None
        for _ in range(160):  # the next whole minute, at most
            await asyncio.sleep(0.5)
            data = await gql(
                "query ($id: ID!) { source(id: $id) { lastScan { id trigger actor status } } }",
                {"id": source_id},
            )
            last = data["source"]["lastScan"]
            if last["trigger"] == "SCHEDULE" and last["status"] == "SUCCEEDED":
                break
        assert last is not None and last["trigger"] == "SCHEDULE", last
        assert last["status"] == "SUCCEEDED" and last["actor"] == "schedule"
    finally:
        await scheduler.stop()
    jobs = await gql(
        "query ($id: ID!) { scanJobs(sourceId: $id) { id trigger status } }", {"id": source_id}
    )
    assert jobs["scanJobs"][0]["id"] == last["id"] and len(jobs["scanJobs"]) == 5


async def test_faults_each_get_a_plain_message(gql: GraphQLClient, database: ServerInfo) -> None:
    source_id = await register(gql, database)

    unknown = await scan(gql, source_id, namespaces=["svc_sale"])
    assert unknown["status"] == "FAILED" and unknown["failureReason"] == "UNKNOWN_NAMESPACE"
    assert "'svc_sale'" in unknown["failure"] and "svc_sales" in unknown["failure"]
    assert "Nothing was written" in unknown["failure"]

    nothing = await scan(gql, source_id, namespaces=["svc_sales"], include=["invoices_*"])
    assert nothing["failureReason"] == "NOTHING_MATCHED", nothing
    assert "invoices_*" in nothing["failure"]

    # Two scans of one source at once: the second is refused, naming the first.
    first = await gql(START, {"input": {"sourceId": source_id}}, actor="ed")
    second = await gql(START, {"input": {"sourceId": source_id}}, actor="ana")
    assert second["startScan"]["__typename"] == "ConflictError", second
    assert first["startScan"]["job"]["id"] in second["startScan"]["message"]
    assert "being scanned already" in second["startScan"]["message"]
    finished = await gql.services.scans.wait(first["startScan"]["job"]["id"])
    assert finished.status is JobStatus.SUCCEEDED

    # The password was changed in the database.
    with _superuser(database) as admin:
        admin.execute(f"ALTER ROLE {TEST_USER} PASSWORD 'changed-elsewhere'")
    try:
        gql.connectors.close_all()  # a pooled connection would still be signed in
        refused = await scan(gql, source_id)
    finally:
        with _superuser(database) as admin:
            admin.execute(f"ALTER ROLE {TEST_USER} PASSWORD '{database.password}'")
    assert refused["failureReason"] == "AUTHENTICATION_FAILED", refused
    assert "updateSource" in refused["failure"]
    assert database.password not in refused["failure"]


async def test_unknown_source_is_not_found(gql: GraphQLClient) -> None:
    data = await gql(START, {"input": {"sourceId": "nope"}})
    assert data["startScan"]["__typename"] == "NotFoundError"
    assert data["startScan"]["field"] == "input.sourceId"


async def test_clew_scan_from_a_terminal(
    gql: GraphQLClient,
    database: ServerInfo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source_id = await register(gql, database)
    monkeypatch.setenv("NEO4J_URI", gql.settings.bolt_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", gql.settings.neo4j_password or "")
    monkeypatch.setenv("CLEW_SECRET_KEYS", ",".join(gql.settings.secret_keys))

    assert await asyncio.to_thread(main, ["scan", "shop", "-n", "svc_hr", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  added     svc_hr.people" in out
    assert "Dry run: nothing was written." in out

    assert await asyncio.to_thread(main, ["scan", "shop", "-n", "svc_hr"]) == 0
    assert "1 table(s) added" in capsys.readouterr().out
    assert set(await tables(gql, source_id)) == {"svc_hr.people"}

    assert await asyncio.to_thread(main, ["scan", "shop", "-n", "nowhere"]) == 1
    assert "has no namespace 'nowhere'" in capsys.readouterr().err


async def test_a_scan_is_followed_live_to_its_report(
    gql: GraphQLClient, database: ServerInfo
) -> None:
    from graph_api.schema import schema

    source_id = await register(gql, database)
    started = await gql(START, {"input": {"sourceId": source_id, "namespaces": ["svc_hr"]}})
    job_id = started["startScan"]["job"]["id"]
    stream = await schema.subscribe(
        "subscription ($id: ID!) { scanJobProgress(id: $id) { status progress { phase "
        "tablesRead } report { added { qualifiedName } } } }",
        variable_values={"id": job_id},
        context_value=gql.context(),
    )
    seen = []
    async for result in stream:  # type: ignore[union-attr]
        assert not result.errors, result.errors
        seen.append(result.data["scanJobProgress"])
    assert seen[-1]["status"] == "SUCCEEDED" and seen[-1]["progress"]["phase"] == "DONE"
    assert [a["qualifiedName"] for a in seen[-1]["report"]["added"]] == ["svc_hr.people"]
    missing = await schema.subscribe(
        'subscription { scanJobProgress(id: "no-such-job") { status } }',
        context_value=gql.context(),
    )
    [refused] = [r async for r in missing]  # type: ignore[union-attr]
    assert refused.errors and "No scan job has the id 'no-such-job'" in refused.errors[0].message


async def test_a_scan_sees_what_people_changed_of_what_the_source_owns(
    gql: GraphQLClient, database: ServerInfo, tmp_path: Path
) -> None:
    """An unchanged table is not read back (its fingerprint holds), yet a hand edit of a type,
    a kind, a deleted or an added field, through the API or an import, is seen by the next
    scan, which puts the source's view back and reports it; descriptions stay as people wrote
    them."""
    source_id = await register(gql, database)
    namespaces = ["svc_sales", "svc_hr"]
    assert (await scan(gql, source_id, namespaces=namespaces))["status"] == "SUCCEEDED"
    catalog = await tables(gql, source_id)
    orders = {f["name"]: f for f in catalog["svc_sales.orders"]["fields"]}
    people = {f["name"]: f for f in catalog["svc_hr.people"]["fields"]}
    customers_id = catalog["svc_sales.customers"]["id"]

    edits = [
        (
            """mutation ($id: ID!) { updateField(id: $id, input: {dataType: "money",
              description: "What was paid"}) { __typename } }""",
            {"id": orders["amount"]["id"]},
        ),
        (
            "mutation ($id: ID!) { deleteField(id: $id) { __typename } }",
            {"id": orders["note"]["id"]},
        ),
        (
            """mutation ($id: ID!) { createField(tableId: $id, input: {name: "by_hand",
              dataType: "text"}) { __typename } }""",
            {"id": customers_id},
        ),
        (
            """mutation ($id: ID!) { updateTable(id: $id, input: {kind: TABLE}) { __typename } }""",
            {"id": catalog["svc_sales.big_orders"]["id"]},
        ),
        (
            """mutation ($id: ID!) { updateField(id: $id, input: {description: "Who works here"})
              { __typename } }""",
            {"id": people["name"]["id"]},
        ),
    ]
    for mutation, variables in edits:
        done = await gql(mutation, variables)
        assert all(v["__typename"].endswith("Success") for v in done.values()), done

    rescan = await scan(gql, source_id, namespaces=namespaces)
    report = rescan["report"]
    changed = {t["qualifiedName"]: t for t in report["changed"]}
    assert set(changed) == {"svc_sales.orders", "svc_sales.customers", "svc_sales.big_orders"}
    assert changed["svc_sales.orders"]["columnsAdded"] == ["note"]
    assert changed["svc_sales.orders"]["columnsChanged"] == [
        {"name": "amount", "before": {"dataType": "money"}, "after": {"dataType": "numeric(12,2)"}}
    ]
    assert changed["svc_sales.customers"]["columnsRemoved"] == ["by_hand"]
    # A description is people's: editing one is no difference from the source.
    assert report["unchanged"] == ["svc_hr.people"]
    catalog = await tables(gql, source_id)
    orders = {f["name"]: f for f in catalog["svc_sales.orders"]["fields"]}
    assert orders["amount"]["dataType"] == "numeric(12,2)"
    assert orders["amount"]["description"] == "What was paid"
    assert "note" in orders and not orders["note"]["missing"]
    assert catalog["svc_sales.big_orders"]["kind"] == "VIEW"
    by_hand = {f["name"]: f for f in catalog["svc_sales.customers"]["fields"]}["by_hand"]
    assert by_hand["missing"] and by_hand["missingScanId"] == rescan["id"]

    # Back in step: the next scan writes nothing.
    again = await scan(gql, source_id, namespaces=namespaces)
    assert again["report"]["batchesWritten"] == 0 and len(again["report"]["unchanged"]) == 4
    assert await tables(gql, source_id) == catalog

    # An import is a writer like any other.
    upload = tmp_path / "types.yaml"
    upload.write_text(
        "format: clew-interchange\nversion: 1\nfields:\n"
        "  - {source: shop, schema: svc_hr, table: people, name: name, data_type: varchar(5)}\n"
    )
    imported = await ImportService(gql.store, actor="importer").run(
        path=upload, file_name=upload.name, options=ImportOptions()
    )
    assert imported.failure is None, imported.failure
    people = {f["name"]: f for f in (await tables(gql, source_id))["svc_hr.people"]["fields"]}
    assert people["name"]["dataType"] == "varchar(5)"
    restored = await scan(gql, source_id, namespaces=namespaces)
    [change] = restored["report"]["changed"]
    assert change["qualifiedName"] == "svc_hr.people"
    assert change["columnsChanged"] == [
        {"name": "name", "before": {"dataType": "varchar(5)"}, "after": {"dataType": "text"}}
    ]
    people = {f["name"]: f for f in (await tables(gql, source_id))["svc_hr.people"]["fields"]}
    assert people["name"]["dataType"] == "text"
    assert people["name"]["description"] == "Who works here"


async def test_an_edit_committed_while_a_batch_is_written_is_not_taken_as_seen(
    gql: GraphQLClient, database: ServerInfo
) -> None:
    """A person changes a column between the batch's read and its write: the scan's write does
    not cover that change, so the fingerprint it leaves must not vouch for it."""
    source_id = await register(gql, database)
    assert (await scan(gql, source_id, namespaces=["svc_hr"]))["status"] == "SUCCEEDED"
    people = {f["name"]: f for f in (await tables(gql, source_id))["svc_hr.people"]["fields"]}
    with _superuser(database) as admin:
        admin.execute("ALTER TABLE svc_hr.people ADD COLUMN team text")
    _, _, connector = await gql.services.sources.connector(source_id)
    info = await asyncio.to_thread(connector.introspect, table="people", schema="svc_hr")

    writer = BatchWriter(gql.store, broker=None)
    marker = Marker(at=datetime.now(UTC), scan_id="by-hand")
    plans = await writer.plan(source_id, [info], marker=marker)
    assert [p.columns_added for p in plans] == [["team"]]
    edited = await gql(
        """mutation ($id: ID!) { updateField(id: $id, input: {dataType: "varchar(5)"}) {
          __typename } }""",
        {"id": people["name"]["id"]},
    )
    assert edited["updateField"]["__typename"] == "FieldSuccess"
    writes, _ = writes_of(plans, source_id=source_id)
    await writer.write(writes, job_id="by-hand", comment="by hand", progress=dict)

    rescan = await scan(gql, source_id, namespaces=["svc_hr"])
    [change] = rescan["report"]["changed"]
    assert change["columnsChanged"] == [
        {"name": "name", "before": {"dataType": "varchar(5)"}, "after": {"dataType": "text"}}
    ]
