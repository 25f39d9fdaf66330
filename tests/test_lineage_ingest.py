"""Ingesting an origin's lineage (services/lineage_ingest.py) against the real Neo4j: what a
steward notices in the graph, its history and the review queue."""

from __future__ import annotations

from typing import Any

from graph_api.models import (
    Assertion,
    LineageLevel,
    Origin,
    OriginKind,
    TransformationType,
)
from graph_api.services.lineage import Outcome
from tests.conftest import GraphQLClient
from tests.test_lineage import edge, lineage, make_table

DBT = Origin(kind=OriginKind.DBT, key="shop", label="dbt project shop")
SQL = Origin(kind=OriginKind.SQL, key="fp-1", label="SQL fp-1")


def field(up: str, down: str, **extra: Any) -> Assertion:
    return Assertion(level=LineageLevel.FIELD, source_id=up, target_id=down, **extra)


async def edges_between(gql: GraphQLClient, table_id: str) -> list[dict[str, Any]]:
    data = await gql(
        """query ($id: ID!) { lineageGraph(rootId: $id, direction: UPSTREAM, includeFields: true) {
             edges { source target level provenance } } }""",
        {"id": table_id},
    )
    return data["lineageGraph"]["edges"]


async def history(gql: GraphQLClient, entity_id: str) -> list[dict[str, Any]]:
    data = await gql(
        "query ($id: ID!) { history(entityId: $id) { nodes { action actor comment } } }",
        {"id": entity_id},
    )
    return data["history"]["nodes"]


async def test_reingesting_an_origin_replaces_only_its_own_assertions(
    gql: GraphQLClient,
) -> None:
    src = await make_table(gql, "orders", ["order_id", "amount", "customer_id"])
    dst = await make_table(gql, "revenue", ["order_id", "amount", "customer_id"])
    ingest = gql.services.lineage_ingest
    first = await ingest.ingest(
        DBT,
        [
            field(src["order_id"], dst["order_id"], evidence={"uniqueId": "model.shop.revenue"}),
            field(
                src["amount"],
                dst["amount"],
                transformation=TransformationType.AGGREGATION,
                confidence=0.8,
                evidence={"uniqueId": "model.shop.revenue"},
            ),
        ],
        actor="robot",
    )
    assert [r.outcome for r in first.results] == [Outcome.CREATED, Outcome.CREATED]
    assert len(first.implied_created) == 1
    # A person declares the third column by hand; SQL asserts the second one too.
    manual = await lineage(gql, "FIELD", [edge(src["customer_id"], dst["customer_id"])])
    manual_id = manual["results"][0]["edge"]["id"]
    await ingest.ingest(SQL, [field(src["amount"], dst["amount"])], actor="robot")

    # dbt now asserts only customer_id (which a person owns) and no longer the other two.
    again = await ingest.ingest(
        DBT,
        [field(src["customer_id"], dst["customer_id"], evidence={"uniqueId": "x"})],
        actor="robot",
    )
    assert [r.outcome for r in again.results] == [Outcome.KEPT_EXISTING]
    order_edge, amount_edge = (r.edge_id for r in first.results)
    # order_id: nobody asserts it any more, so it left the graph; amount: SQL still asserts it.
    assert again.removed_edge_ids == [order_edge]
    assert sorted(again.withdrawn_edge_ids) == sorted([order_edge, amount_edge])
    left = {
        (e["source"], e["target"], e["provenance"]) for e in await edges_between(gql, dst["id"])
    }
    assert (src["amount"], dst["amount"], "INFERRED") in left
    assert (src["customer_id"], dst["customer_id"], "MANUAL") in left
    assert not any(e[0] == src["order_id"] for e in left)
    # The removed edge's history says why; the manual edge kept a suggestion.
    assert (await history(gql, order_edge))[0]["action"] == "DELETE"
    assert "stopped" in (await history(gql, order_edge))[0]["comment"]
    assert [h["action"] for h in await history(gql, manual_id)] == ["SUGGESTION", "CREATE"]


async def test_a_trusted_origin_arrives_approved_under_the_stewards_decision(
    gql: GraphQLClient,
) -> None:
    src = await make_table(gql, "a", ["x"])
    dst = await make_table(gql, "b", ["x"])
    ingest = gql.services.lineage_ingest
    report = await ingest.ingest(DBT, [], actor="robot")

    async def trust(tx: Any) -> None:
        await ingest.origins.set_trust(
            tx, report.origin.id, actor="stella", comment="reviewed the project"
        )

    await gql.store.transaction(trust)
    done = await ingest.ingest(DBT, [field(src["x"], dst["x"])], actor="robot")
    data = await gql(
        "query ($id: ID!) { lineageEdge(id: $id) { lineageSource reviewState reviewedBy } }",
        {"id": done.results[0].edge_id},
    )
    assert data["lineageEdge"] == {
        "lineageSource": "APPROVED",
        "reviewState": "APPROVED",
        "reviewedBy": "stella",
    }


async def test_assertions_that_name_missing_or_wrong_nodes_are_reported_not_written(
    gql: GraphQLClient,
) -> None:
    src = await make_table(gql, "a", ["x"])
    report = await gql.services.lineage_ingest.ingest(
        SQL,
        [
            field(src["x"], "nope"),
            Assertion(level=LineageLevel.TABLE, source_id=src["x"], target_id=src["id"]),
            field(src["x"], src["x"]),
        ],
        actor="robot",
    )
    assert [r.outcome for r in report.results] == [None, None, None]
    assert "does not exist" in (report.results[0].problem or "")
    assert "is not a table" in (report.results[1].problem or "")
    assert "itself" in (report.results[2].problem or "")
