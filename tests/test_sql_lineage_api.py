"""SQL lineage as a new user meets it, through GraphQL against the real Neo4j: paste an INSERT
over catalog tables, read the proposal, apply it, find it in the review queue by its origin,
approve it in one action."""

from __future__ import annotations

from typing import Any

from graph_api.store.client import Store
from tests.conftest import GraphQLClient

INSERT = """
INSERT INTO mart.revenue (region, order_month, revenue, orders)
SELECT c.region, date_trunc('month', o.ordered_at), SUM(o.amount), COUNT(o.id)
FROM sales.orders o
JOIN crm.customers c ON c.id = o.customer_id
WHERE o.status = 'shipped'
GROUP BY c.region, date_trunc('month', o.ordered_at)
"""

PROPOSE = """query ($sql: String!, $indirect: Boolean!) {
  proposeSqlLineage(sql: $sql, dialect: POSTGRES, includeIndirect: $indirect) {
    statements { kind target confidence }
    fieldEdges { upstreamName downstreamName transformationType confidence expression }
    unresolved { kind name message suggestions }
    unparsed { reason position { line column } }
  }
}"""

APPLY = """mutation ($sql: String!) {
  applySqlLineage(sql: $sql, dialect: POSTGRES) {
    __typename
    ... on ApplySqlLineageSuccess { summary origin { id kind label pendingEdgeCount } }
    ... on UserError { code message field }
  }
}"""


async def table(gql: GraphQLClient, schema: str, name: str, fields: list[str]) -> None:
    await gql(
        """mutation ($input: CreateTableInput!) { createTable(input: $input) {
             ... on CreateTableSuccess { table { id } } } }""",
        {"input": {"schema": schema, "name": name, "fields": [{"name": f} for f in fields]}},
    )


async def shop(gql: GraphQLClient) -> None:
    await table(gql, "sales", "orders", ["id", "customer_id", "ordered_at", "amount", "status"])
    await table(gql, "crm", "customers", ["id", "name", "region"])
    await table(gql, "mart", "revenue", ["region", "order_month", "revenue", "orders"])


def pairs(edges: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(e["upstreamName"], e["downstreamName"], e["transformationType"]) for e in edges}


async def test_paste_an_insert_apply_it_and_approve_it_by_origin(gql: GraphQLClient) -> None:
    await shop(gql)
    proposal = (await gql(PROPOSE, {"sql": INSERT, "indirect": False}))["proposeSqlLineage"]
    assert proposal["statements"] == [
        {"kind": "INSERT", "target": "mart.revenue", "confidence": 0.9}
    ]
    assert pairs(proposal["fieldEdges"]) == {
        ("crm.customers.region", "mart.revenue.region", "DIRECT"),
        ("sales.orders.ordered_at", "mart.revenue.order_month", "ETL"),
        ("sales.orders.amount", "mart.revenue.revenue", "AGGREGATION"),
        ("sales.orders.id", "mart.revenue.orders", "AGGREGATION"),
    }
    assert {e["expression"] for e in proposal["fieldEdges"]} >= {"SUM(o.amount)", "COUNT(o.id)"}
    assert proposal["unresolved"] == [] and proposal["unparsed"] == []

    # With the columns that only join, filter or group, each marked as such.
    full = (await gql(PROPOSE, {"sql": INSERT, "indirect": True}))["proposeSqlLineage"]
    marked = pairs(full["fieldEdges"])
    assert ("sales.orders.status", "mart.revenue.revenue", "FILTER") in marked
    assert ("crm.customers.id", "mart.revenue.revenue", "JOIN") in marked
    assert ("sales.orders.customer_id", "mart.revenue.region", "JOIN") in marked
    assert not any(up == "sales.orders.status" and kind == "DIRECT" for up, _, kind in marked)

    applied = (await gql(APPLY, {"sql": INSERT}))["applySqlLineage"]
    assert applied["__typename"] == "ApplySqlLineageSuccess"
    origin = applied["origin"]
    assert origin["kind"] == "SQL" and origin["pendingEdgeCount"] == len(full["fieldEdges"])

    queue = await gql(
        """query ($origin: ID!) { reviewQueue(originId: $origin, level: FIELD) { totalCount
             edges { lineageSource assertions { origin { kind } evidence { key value } } } } }""",
        {"origin": origin["id"]},
        actor="stella",
    )
    edges = queue["reviewQueue"]["edges"]
    assert queue["reviewQueue"]["totalCount"] == len(full["fieldEdges"])
    evidence = {e["key"]: e["value"] for e in edges[0]["assertions"][0]["evidence"]}
    assert evidence["sql"].startswith("INSERT INTO mart.revenue")
    assert evidence["dialect"] == "POSTGRES" and len(evidence["statementFingerprint"]) == 16

    approved = await gql(
        """mutation ($id: ID!) { approveOrigin(originId: $id, comment: "matches the ETL job") {
             ... on OriginReviewSuccess { reviewedEdgeCount origin { pendingEdgeCount } } } }""",
        {"id": origin["id"]},
        actor="stella",
    )
    assert approved["approveOrigin"]["origin"]["pendingEdgeCount"] == 0
    assert approved["approveOrigin"]["reviewedEdgeCount"] >= len(full["fieldEdges"])

    # The same text again changes nothing: same origin, its edges already approved.
    again = (await gql(APPLY, {"sql": INSERT}))["applySqlLineage"]
    assert again["origin"]["id"] == origin["id"] and again["origin"]["pendingEdgeCount"] == 0


async def test_unknown_names_come_back_with_suggestions_and_blocks_with_their_position(
    gql: GraphQLClient,
) -> None:
    await shop(gql)
    script = (
        "INSERT INTO mart.revenue (region, revenue) SELECT regoin, SUM(amount) "
        "FROM crm.customers JOIN sales.ordrs ON 1 = 1 GROUP BY regoin;\n"
        "BEGIN\n  UPDATE mart.revenue SET revenue = 0;\nEND;\n"
        "SELECT FROM WHERE;\n"
    )
    data = (await gql(PROPOSE, {"sql": script, "indirect": False}))["proposeSqlLineage"]
    names = {u["name"]: u for u in data["unresolved"]}
    assert names["sales.ordrs"]["suggestions"] == ["sales.orders"]
    assert "Did you mean 'sales.orders'?" in names["sales.ordrs"]["message"]
    assert data["statements"][0]["confidence"] < 0.9
    reasons = [(u["position"]["line"], u["reason"]) for u in data["unparsed"]]
    assert reasons[0][0] == 2 and "procedural block" in reasons[0][1]
    assert reasons[1][0] == 5 and reasons[1][1].startswith("The parser stopped")


async def test_the_catalog_wide_name_list_is_read_only_when_a_name_is_unknown(
    gql: GraphQLClient, store: Store
) -> None:
    await shop(gql)
    before = store.statements_sent
    known = (await gql(PROPOSE, {"sql": INSERT, "indirect": False}))["proposeSqlLineage"]
    assert known["unresolved"] == [] and store.statements_sent - before == 1

    before = store.statements_sent
    typo = INSERT.replace("sales.orders", "sales.ordrs")
    unknown = (await gql(PROPOSE, {"sql": typo, "indirect": False}))["proposeSqlLineage"]
    assert [u["suggestions"] for u in unknown["unresolved"]] == [["sales.orders"]]
    assert store.statements_sent - before == 2


async def test_an_empty_text_is_a_typed_error(gql: GraphQLClient) -> None:
    data = await gql(APPLY, {"sql": "  "})
    assert data["applySqlLineage"] == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "message": "Give the SQL text to read lineage from.",
        "field": "sql",
    }
