"""The review queue's counts as a steward reads them (`reviewQueue { totalCount ... }`) stay
equal to the pending edges in the database through every writer of lineage, under concurrent
decisions, and after `clew recount-review`."""

from __future__ import annotations

import asyncio
import io
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from graph_api import cli
from graph_api.services.imports import ImportService
from graph_api.settings import Settings
from graph_api.store.client import Store
from graph_api.store.migrations import apply_migrations
from tests.conftest import GraphQLClient
from tests.interchange.conftest import run_import, workbook
from tests.interchange.test_import import LINEAGE
from tests.test_lineage import edge, lineage, make_table
from tests.test_sql_lineage_api import APPLY, INSERT, shop

COUNTS = """
query ($level: LineageLevel, $min: Float, $max: Float) {
  reviewQueue(level: $level, minConfidence: $min, maxConfidence: $max, first: 1) {
    totalCount tableEdgeCount fieldEdgeCount
  }
}
"""
RANGES = [(0.0, 1.0), (0.0, 0.5), (0.5, 0.5), (0.55, 0.9), (0.31, 0.69), (0.95, 1.0)]
LEVELS = [None, "TABLE", "FIELD"]


async def direct(store: Store, level: str | None, low: float, high: float) -> tuple[int, int]:
    """(table, field) pending edges in range, counted from the edges themselves."""
    records, _, _ = await store.driver.execute_query(
        """MATCH ()-[r:FLOWS_TO]->()
           WHERE r.review_state = 'PENDING' AND r.confidence >= $low AND r.confidence <= $high
             AND ($level IS NULL OR r.level = $level)
           RETURN r.level AS level, count(r) AS n""",
        level=level,
        low=low,
        high=high,
        database_=store.database,
    )
    per_level = {r["level"]: r["n"] for r in records}
    return per_level.get("TABLE", 0), per_level.get("FIELD", 0)


async def assert_exact(gql: GraphQLClient) -> int:
    """The queue's counts equal a direct count, for every range and level; returns the total."""
    for level in LEVELS:
        for low, high in RANGES:
            queue = (await gql(COUNTS, {"level": level, "min": low, "max": high}))["reviewQueue"]
            tables, fields = await direct(gql.store, level, low, high)
            shown = (queue["totalCount"], queue["tableEdgeCount"], queue["fieldEdgeCount"])
            assert shown == (tables + fields, tables, fields), (level, low, high)
    tables, fields = await direct(gql.store, None, 0.0, 1.0)
    return tables + fields


async def mutate(gql: GraphQLClient, mutation: str, **variables: Any) -> dict[str, Any]:
    data = await gql(mutation, variables, actor="stella")
    [result] = data.values()
    assert "code" not in result, result
    return dict(result)


UPDATE = """mutation ($id: ID!, $confidence: Float!) {
  updateLineage(id: $id, input: {confidence: $confidence}) {
    ... on LineageEdgeSuccess { edge { id confidence reviewState } }
    ... on UserError { code message }
  }
}"""
APPROVE = """mutation ($ids: [ID!]!) { approveLineage(ids: $ids) {
  ... on LineageChangeSuccess { results { edge { id } } } ... on UserError { code message } } }"""
REJECT = """mutation ($ids: [ID!]!) { rejectLineage(ids: $ids, reason: "not what the job does") {
  ... on LineageChangeSuccess { results { edge { id } } } ... on UserError { code message } } }"""
DELETE = """mutation ($ids: [ID!]!) { deleteLineage(ids: $ids, cascade: true) {
  ... on DeleteLineageSuccess { deletedIds } ... on UserError { code message } } }"""
DELETE_TABLE = """mutation ($id: ID!) { deleteTable(id: $id) {
  __typename ... on UserError { code message } } }"""
DELETE_FIELD = """mutation ($id: ID!) { deleteField(id: $id) {
  __typename ... on UserError { code message } } }"""


def ids(result: dict[str, Any]) -> list[str]:
    return [r["edge"]["id"] for r in result["results"]]


async def test_counts_equal_the_pending_edges_through_every_writer(
    gql: GraphQLClient, store: Store, tmp_path: Path
) -> None:
    a = await make_table(gql, "a", ["a1", "a2", "a3"])
    b = await make_table(gql, "b", ["b1", "b2", "b3"])
    c = await make_table(gql, "c", ["c1", "c2"])
    d = await make_table(gql, "d", ["d1"])

    # Created through the API: pending table edges, one manual, field edges and the implied
    # table edges above them.
    tables = await lineage(
        gql,
        "TABLE",
        [
            edge(a["id"], c["id"], lineageSource="INFERRED", confidence=0.4),
            edge(c["id"], d["id"], lineageSource="INFERRED", confidence=0.55),
            edge(b["id"], d["id"], lineageSource="MANUAL"),
        ],
    )
    fields = await lineage(
        gql,
        "FIELD",
        [
            edge(a["a1"], b["b1"], lineageSource="INFERRED", confidence=0.3),
            edge(a["a2"], b["b2"], lineageSource="INFERRED", confidence=0.7),
            edge(a["a3"], b["b3"], lineageSource="INFERRED", confidence=0.5),
            edge(b["b1"], c["c1"], lineageSource="INFERRED", confidence=0.5),
            edge(c["c2"], d["d1"], lineageSource="INFERRED", confidence=0.9),
        ],
    )
    assert fields["impliedTableEdgesCreated"]
    assert await assert_exact(gql) >= 7
    a_to_c, c_to_d, _ = ids(tables)
    a1_b1, a2_b2, a3_b3, b1_c1, _ = ids(fields)

    # Updated: a table edge's and a field edge's confidence (the implied edge above follows).
    await mutate(gql, UPDATE, id=a_to_c, confidence=0.8)
    await mutate(gql, UPDATE, id=a3_b3, confidence=0.35)
    await assert_exact(gql)

    # Decided and deleted.
    await mutate(gql, APPROVE, ids=[a1_b1, c_to_d])
    await mutate(gql, REJECT, ids=[b1_c1])
    await mutate(gql, DELETE, ids=[a2_b2])
    await assert_exact(gql)

    # Imported: new tables with pending field lineage, and an edit of an edge already there.
    path = workbook(
        tmp_path / "catalog.xlsx",
        {
            "tables": [["schema", "name"], ["hr", "people"], ["dw", "dim_person"]],
            "fields": [
                ["schema", "table", "name"],
                ["hr", "people", "id"],
                ["hr", "people", "email"],
                ["dw", "dim_person", "key"],
                ["dw", "dim_person", "email"],
            ],
            "field_lineage": [
                LINEAGE,
                ["hr", "people", "id", "dw", "dim_person", "key", "INFERRED", 0.6, "ETL"],
                ["hr", "people", "email", "dw", "dim_person", "email", "INFERRED", 0.45, "COPY"],
            ],
        },
    )
    await run_import(ImportService(store, actor="importer"), path)
    before_edit = await assert_exact(gql)
    edit = workbook(
        tmp_path / "edit.xlsx",
        {
            "field_lineage": [
                LINEAGE,
                ["hr", "people", "id", "dw", "dim_person", "key", "INFERRED", 0.65, "ETL"],
            ]
        },
    )
    await run_import(ImportService(store, actor="importer"), edit)
    assert await assert_exact(gql) == before_edit

    # Ingested: lineage from SQL, then approved by its origin.
    await shop(gql)
    applied = (await gql(APPLY, {"sql": INSERT}))["applySqlLineage"]
    assert applied["origin"]["pendingEdgeCount"] > 0
    with_sql = await assert_exact(gql)
    await gql(
        """mutation ($id: ID!) { approveOrigin(originId: $id, comment: "matches the job") {
             ... on OriginReviewSuccess { reviewedEdgeCount } } }""",
        {"id": applied["origin"]["id"]},
        actor="stella",
    )
    assert await assert_exact(gql) < with_sql

    # Cascades: a field and a table with pending lineage go, and their edges with them.
    await mutate(gql, DELETE_FIELD, id=a["a3"])
    await assert_exact(gql)
    await mutate(gql, DELETE_TABLE, id=c["id"])
    await assert_exact(gql)
    await mutate(gql, DELETE_TABLE, id=a["id"])
    assert await assert_exact(gql) > 0


async def test_concurrent_decisions_on_the_same_edges_leave_exact_counts(
    gql: GraphQLClient,
) -> None:
    hub = await make_table(gql, "hub", ["a"])
    spokes = [await make_table(gql, f"spoke_{i}", ["a"]) for i in range(24)]
    created = await lineage(
        gql,
        "TABLE",
        [
            edge(hub["id"], s["id"], lineageSource="INFERRED", confidence=(0.4, 0.6, 0.8)[i % 3])
            for i, s in enumerate(spokes)
        ],
    )
    table_edges = ids(created)
    fields = await lineage(
        gql,
        "FIELD",
        [edge(hub["a"], s["a"], lineageSource="INFERRED", confidence=0.5) for s in spokes[:12]],
    )
    field_edges = ids(fields)

    # Two stewards at once, over overlapping edges in opposite orders, approving and rejecting
    # the same ones: each decision on an edge sees the one before it.
    await asyncio.gather(
        mutate(gql, APPROVE, ids=table_edges[:16] + field_edges[:8]),
        mutate(gql, REJECT, ids=list(reversed(table_edges[8:20] + field_edges[4:10]))),
        mutate(gql, APPROVE, ids=table_edges[12:18]),
    )
    assert await assert_exact(gql) == (24 - 20) + (12 - 10)
    await asyncio.gather(*(mutate(gql, APPROVE, ids=[e]) for e in table_edges + field_edges))
    assert await assert_exact(gql) == 0


async def test_recount_rebuilds_counters_that_drifted(
    gql: GraphQLClient, store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await lineage(
        gql,
        "TABLE",
        [
            edge(
                (await make_table(gql, f"up_{i}", ["x"]))["id"],
                (await make_table(gql, f"down_{i}", ["x"]))["id"],
                lineageSource="INFERRED",
                confidence=0.1 * (i + 1),
            )
            for i in range(4)
        ],
    )
    # Drift a writer outside Clew could cause: edges written straight to Neo4j, a counter
    # changed by hand, a counter of nothing.
    await store.driver.execute_query(
        """MATCH (c:ReviewCount) SET c.pending = c.pending + 7
           MERGE (:ReviewCount {level: 'FIELD', confidence: 0.33, pending: 5})
           WITH 1 AS one LIMIT 1
           MATCH (t:Table {name: 'up_0'}), (u:Table {name: 'down_1'})
           CREATE (t)-[:FLOWS_TO {id: 'raw-edge', level: 'TABLE', confidence: 0.2,
                                  review_state: 'PENDING', lineage_source: 'INFERRED',
                                  created_at: datetime(), updated_at: datetime()}]->(u)""",
        database_=store.database,
    )
    queue = (await gql(COUNTS, {}))["reviewQueue"]
    assert queue["totalCount"] != 5

    monkeypatch.setenv("NEO4J_URI", settings.bolt_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", settings.neo4j_password)
    monkeypatch.setenv("CLEW_SECRET_KEYS", settings.secret_keys[0])
    out = io.StringIO()
    with redirect_stdout(out):
        # The command runs its own event loop, as from a terminal.
        assert await asyncio.to_thread(cli.main, ["recount-review"]) == 0
    assert out.getvalue() == "recounted the review queue: 5 pending edge(s)\n"
    assert await assert_exact(gql) == 5


async def test_the_migration_counts_the_edges_written_before_it(
    gql: GraphQLClient, store: Store
) -> None:
    await make_table(gql, "left", ["x"])
    await make_table(gql, "right", ["x"])
    await store.driver.execute_query(
        """MATCH (a:Table {name: 'left'}), (b:Table {name: 'right'})
           UNWIND range(1, 30) AS n
           CREATE (a)-[:FLOWS_TO {id: 'old-' + n, level: 'TABLE', confidence: (n % 4) / 4.0,
                                  review_state: CASE WHEN n % 5 = 0 THEN 'APPROVED'
                                                     ELSE 'PENDING' END,
                                  lineage_source: 'INFERRED',
                                  created_at: datetime(), updated_at: datetime()}]->(b)
           WITH 1 AS one LIMIT 1
           MATCH (m:ClewMigration {version: 15}) DETACH DELETE m""",
        database_=store.database,
    )
    assert await apply_migrations(store) == ["015_review_counts"]
    assert await assert_exact(gql) == 24
