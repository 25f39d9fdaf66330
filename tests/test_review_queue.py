"""The review queue as a steward pages through it: lowest confidence first, then by id, every
pending edge exactly once however the pages fall, with counts that follow the filters."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient
from tests.test_catalog import create_source, create_table
from tests.test_lineage import edge, lineage, make_table

QUEUE = """
query ($level: LineageLevel, $sourceId: ID, $tableId: ID, $min: Float, $max: Float,
       $first: Int, $after: String) {
  reviewQueue(level: $level, sourceId: $sourceId, tableId: $tableId, minConfidence: $min,
              maxConfidence: $max, first: $first, after: $after) {
    totalCount tableEdgeCount fieldEdgeCount
    edges { id level confidence upstreamId downstreamId }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def every_page(gql: GraphQLClient, **variables: Any) -> tuple[list[dict[str, Any]], Any]:
    """Follows endCursor to the end; returns the edges in order and the first page's counts."""
    edges: list[dict[str, Any]] = []
    after = None
    counts = None
    while True:
        queue = (await gql(QUEUE, {**variables, "after": after}))["reviewQueue"]
        counts = counts or (
            queue["totalCount"],
            queue["tableEdgeCount"],
            queue["fieldEdgeCount"],
        )
        edges += queue["edges"]
        if not queue["pageInfo"]["hasNextPage"]:
            return edges, counts
        after = queue["pageInfo"]["endCursor"]


async def pending_fan(gql: GraphQLClient, confidences: list[float]) -> list[dict[str, Any]]:
    """One pending inferred table edge from a hub to a new table per confidence."""
    hub = await make_table(gql, "hub", ["a"])
    tables = [await make_table(gql, f"t{i}", ["a"]) for i in range(len(confidences))]
    result = await lineage(
        gql,
        "TABLE",
        [
            edge(hub["id"], t["id"], lineageSource="INFERRED", confidence=c)
            for t, c in zip(tables, confidences, strict=True)
        ],
    )
    return [r["edge"] for r in result["results"]]


def in_order(edges: list[dict[str, Any]]) -> list[str]:
    return [e["id"] for e in sorted(edges, key=lambda e: (e["confidence"], e["id"]))]


async def test_pages_hold_every_pending_edge_once_when_confidences_repeat(
    gql: GraphQLClient,
) -> None:
    created = await pending_fan(gql, [0.5, 0.5, 0.5, 0.4, 0.5, 0.6, 0.5, 0.4, 0.5])
    for first in (1, 2, 4, 50):
        edges, counts = await every_page(gql, first=first)
        assert [e["id"] for e in edges] == in_order(created), f"pages of {first}"
        assert counts == (9, 9, 0)


async def test_confidence_and_level_filters_page_and_count_alike(gql: GraphQLClient) -> None:
    created = await pending_fan(gql, [0.2, 0.5, 0.5, 0.7, 0.9, 0.5])
    edges, counts = await every_page(gql, min=0.5, max=0.7, first=2)
    wanted = [e for e in created if 0.5 <= e["confidence"] <= 0.7]
    assert [e["id"] for e in edges] == in_order(wanted)
    assert counts == (4, 4, 0)
    assert await every_page(gql, level="FIELD", first=2) == ([], (0, 0, 0))
    edges, counts = await every_page(gql, level="TABLE", max=0.5, first=3)
    assert [e["id"] for e in edges] == in_order([e for e in created if e["confidence"] <= 0.5])
    assert counts == (4, 4, 0)


async def test_a_cursor_from_below_a_raised_minimum_starts_at_the_minimum(
    gql: GraphQLClient,
) -> None:
    created = await pending_fan(gql, [0.1, 0.2, 0.6, 0.8])
    first = (await gql(QUEUE, {"first": 1}))["reviewQueue"]
    assert [e["confidence"] for e in first["edges"]] == [0.1]
    later = (await gql(QUEUE, {"first": 5, "min": 0.5, "after": first["pageInfo"]["endCursor"]}))[
        "reviewQueue"
    ]
    assert [e["id"] for e in later["edges"]] == in_order(created[2:])


async def test_field_edges_are_queued_with_their_own_count(gql: GraphQLClient) -> None:
    a = await make_table(gql, "orders", ["order_id", "amount"])
    b = await make_table(gql, "revenue", ["order_id", "total"])
    result = await lineage(
        gql,
        "FIELD",
        [
            edge(a["order_id"], b["order_id"], lineageSource="INFERRED", confidence=0.4),
            edge(a["amount"], b["total"], lineageSource="INFERRED", confidence=0.3),
        ],
    )
    field_ids = [r["edge"]["id"] for r in result["results"]]
    edges, counts = await every_page(gql, level="FIELD", first=1)
    assert [e["id"] for e in edges] == field_ids[::-1]
    assert counts[2] == 2 and counts[0] == counts[1] + 2


async def test_a_table_or_a_source_narrows_the_queue(gql: GraphQLClient) -> None:
    source_id = await create_source(gql, "warehouse")
    bound = (await create_table(gql, name="facts", schema="dw", sourceId=source_id))["table"]
    other = await make_table(gql, "staging", ["x"])
    third = await make_table(gql, "scratch", ["x"])
    result = await lineage(
        gql,
        "TABLE",
        [
            edge(other["id"], bound["id"], lineageSource="INFERRED", confidence=0.6),
            edge(bound["id"], third["id"], lineageSource="INFERRED", confidence=0.5),
            edge(other["id"], third["id"], lineageSource="INFERRED", confidence=0.4),
        ],
    )
    ids = [r["edge"]["id"] for r in result["results"]]
    edges, counts = await every_page(gql, sourceId=source_id, first=1)
    assert [e["id"] for e in edges] == [ids[1], ids[0]]
    assert counts == (2, 2, 0)
    edges, counts = await every_page(gql, tableId=third["id"], first=1)
    assert [e["id"] for e in edges] == [ids[2], ids[1]]
    assert counts == (2, 2, 0)
    edges, counts = await every_page(gql, tableId=third["id"], sourceId=source_id)
    assert [e["id"] for e in edges] == [ids[1]]
    assert await every_page(gql, tableId=third["id"], min=0.55) == ([], (0, 0, 0))
