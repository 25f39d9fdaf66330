"""lineageGraph says per node and per direction whether more lineage lies outside the picture."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient
from tests.test_lineage import edge, lineage, make_table

GRAPH = """query ($root: ID!, $direction: Direction!, $depth: Int!, $filter: LineageFilter) {
  lineageGraph(rootId: $root, direction: $direction, depth: $depth, filter: $filter) {
    nodes { label hasMore hasMoreUpstream hasMoreDownstream } } }"""


async def ways(gql: GraphQLClient, root: str, direction: str, depth: int, **extra: Any) -> dict:
    variables = {"root": root, "direction": direction, "depth": depth, **extra}
    nodes = (await gql(GRAPH, variables))["lineageGraph"]["nodes"]
    return {n["label"]: (n["hasMoreUpstream"], n["hasMoreDownstream"]) for n in nodes}


async def test_each_node_says_which_way_its_unloaded_neighbours_lie(gql: GraphQLClient) -> None:
    # x -> m <- a, m -> d1 -> d2; a's edge is rejected.
    t = {name: await make_table(gql, name, []) for name in ("x", "a", "m", "d1", "d2")}
    await lineage(gql, "TABLE", [edge(t["x"]["id"], t["m"]["id"]), edge(t["m"]["id"], t["d1"]["id"]),
                                 edge(t["d1"]["id"], t["d2"]["id"])])  # fmt: skip
    rejected = await lineage(gql, "TABLE", [edge(t["a"]["id"], t["m"]["id"])])
    edge_id = rejected["results"][0]["edge"]["id"]
    await gql('mutation ($ids: [ID!]!) { rejectLineage(ids: $ids, reason: "no") { __typename } }',
              {"ids": [edge_id]})  # fmt: skip

    # The root, looked at downstream only: more lies upstream of it, none downstream.
    assert await ways(gql, t["m"]["id"], "DOWNSTREAM", 1) == {
        "m": (True, False),
        "d1": (False, True),
    }
    # Looked at upstream, d1 still has d2 downstream, and m its own upstream (x).
    assert await ways(gql, t["d1"]["id"], "UPSTREAM", 1) == {
        "m": (True, False),
        "d1": (False, True),
    }
    # Everything loaded: nothing more either way.
    assert await ways(gql, t["x"]["id"], "DOWNSTREAM", 3) == {
        "x": (False, False), "m": (False, False), "d1": (False, False), "d2": (False, False),
    }  # fmt: skip
    # The filter decides what counts: with rejected edges shown, a lies upstream of m too.
    shown = await ways(gql, t["x"]["id"], "DOWNSTREAM", 3, filter={"includeRejected": True})
    assert shown["m"] == (True, False)
