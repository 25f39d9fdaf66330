"""Ingesting an origin's lineage (services/lineage_ingest.py) against the real Neo4j: what a
steward notices in the graph, its history and the review queue."""

from __future__ import annotations

from typing import Any

from graph_api.auth.roles import Role
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


QUEUE = """query ($origin: ID) { reviewQueue(originId: $origin) { totalCount edges {
  id assertions { origin { kind key label } transformationType evidence { key value } } } } }"""


async def test_a_steward_reviews_an_origin_by_its_evidence_and_approves_it_in_one_action(
    gql: GraphQLClient,
) -> None:
    src = await make_table(gql, "a", ["x", "y"])
    dst = await make_table(gql, "b", ["x", "y"])
    ingest = gql.services.lineage_ingest
    report = await ingest.ingest(
        DBT,
        [
            field(src["x"], dst["x"], evidence={"uniqueId": "model.shop.b"}),
            field(src["y"], dst["y"], evidence={"uniqueId": "model.shop.b"}),
        ],
        actor="robot",
    )
    other = await ingest.ingest(SQL, [field(src["y"], dst["x"])], actor="robot")
    origin_id = report.origin.id
    queue = (await gql(QUEUE, {"origin": origin_id}, actor="stella"))["reviewQueue"]
    assert queue["totalCount"] == 2  # the field edges dbt asserts, not SQL's nor the implied one
    assert queue["edges"][0]["assertions"] == [
        {
            "origin": {"kind": "DBT", "key": "shop", "label": "dbt project shop"},
            "transformationType": None,
            "evidence": [{"key": "uniqueId", "value": "model.shop.b"}],
        }
    ]
    assert (await gql(QUEUE, {"origin": None}))["reviewQueue"]["totalCount"] == 4
    data = await gql(
        """mutation ($id: ID!) { approveOrigin(originId: $id, comment: "checked the project") {
             ... on OriginReviewSuccess { reviewedEdgeCount origin { pendingEdgeCount
               assertedEdgeCount } edges { lineageSource reviewedBy } } } }""",
        {"id": origin_id},
        actor="stella",
    )
    done = data["approveOrigin"]
    assert done["reviewedEdgeCount"] == 2
    assert done["origin"] == {"pendingEdgeCount": 0, "assertedEdgeCount": 2}
    assert {(e["lineageSource"], e["reviewedBy"]) for e in done["edges"]} == {
        ("APPROVED", "stella")
    }
    # SQL's guess still waits; the origin's history says who approved what.
    assert (await gql(QUEUE, {"origin": other.origin.id}))["reviewQueue"]["totalCount"] == 1
    assert (await history(gql, origin_id))[0] == {
        "action": "APPROVE",
        "actor": "stella",
        "comment": "Approved 2 pending edge(s) it asserts: checked the project",
    }


async def test_a_trusted_origin_arrives_approved_under_the_stewards_decision(
    gql: GraphQLClient,
) -> None:
    src = await make_table(gql, "a", ["x", "y"])
    dst = await make_table(gql, "b", ["x", "y"])
    ingest = gql.services.lineage_ingest
    report = await ingest.ingest(DBT, [], actor="robot")
    trust = """mutation ($id: ID!) { trustOrigin(originId: $id, comment: "our own project") {
                 ... on OriginSuccess { origin { trusted trustedBy } } } }"""
    data = await gql(trust, {"id": report.origin.id}, actor="stella")
    assert data["trustOrigin"]["origin"] == {"trusted": True, "trustedBy": "stella"}
    done = await ingest.ingest(DBT, [field(src["x"], dst["x"])], actor="robot")
    edge_query = """query ($id: ID!) { lineageEdge(id: $id) {
        lineageSource reviewState reviewedBy reviewComment } }"""
    data = await gql(edge_query, {"id": done.results[0].edge_id})
    assert data["lineageEdge"] == {
        "lineageSource": "APPROVED",
        "reviewState": "APPROVED",
        "reviewedBy": "stella",
        "reviewComment": "Origin 'dbt project shop' is trusted by stella.",
    }
    # Revoked: the next new edge waits for review again.
    await gql(
        """mutation ($id: ID!) { untrustOrigin(originId: $id, comment: "moved to a vendor") {
             ... on OriginSuccess { origin { trusted } } } }""",
        {"id": report.origin.id},
        actor="stella",
    )
    again = await ingest.ingest(
        DBT, [field(src["x"], dst["x"]), field(src["y"], dst["y"])], actor="robot"
    )
    data = await gql(edge_query, {"id": again.results[1].edge_id})
    assert data["lineageEdge"]["reviewState"] == "PENDING"
    assert [h["action"] for h in await history(gql, report.origin.id)][:3] == [
        "INGEST",
        "UNTRUST",
        "INGEST",
    ]


async def test_only_a_steward_reviews_or_trusts_an_origin(gql: GraphQLClient) -> None:
    report = await gql.services.lineage_ingest.ingest(DBT, [], actor="robot")
    for mutation in ("approveOrigin(originId: $id)", "trustOrigin(originId: $id)"):
        errors = await gql.errors(
            f"mutation ($id: ID!) {{ {mutation} {{ __typename }} }}",
            {"id": report.origin.id},
            role=Role.EDITOR,
        )
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    data = await gql(
        """mutation { rejectOrigin(originId: "nope", reason: "wrong") {
             ... on UserError { code field } } }"""
    )
    assert data["rejectOrigin"] == {"code": "NOT_FOUND", "field": "originId"}


async def test_what_a_person_declares_has_the_person_as_origin(gql: GraphQLClient) -> None:
    src = await make_table(gql, "a", ["x"])
    dst = await make_table(gql, "b", ["x"])
    result = await lineage(gql, "FIELD", [edge(src["x"], dst["x"])], actor="ed")
    data = await gql(
        "query ($id: ID!) { lineageEdge(id: $id) { assertions { origin { kind key } } } }",
        {"id": result["results"][0]["edge"]["id"]},
    )
    assert data["lineageEdge"]["assertions"] == [{"origin": {"kind": "PERSON", "key": "ed"}}]


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
