"""Upstream/downstream traversal, the ReactFlow graph and impact analysis."""

from __future__ import annotations

from typing import Any

from graph_api.store.client import Store
from tests.conftest import GraphQLClient
from tests.test_lineage import edge, lineage, make_table

GRAPH = """
query ($root: ID!, $direction: Direction!, $depth: Int!, $fields: Boolean!, $max: Int!,
       $filter: LineageFilter) {
  lineageGraph(rootId: $root, direction: $direction, depth: $depth, includeFields: $fields,
               maxNodes: $max, filter: $filter) {
    rootId truncated frontier
    nodes { id type label depth parentId hasMore hasMoreUpstream hasMoreDownstream data }
    edges { id source target level provenance confidence transformation implied }
  }
}
"""


async def chain(gql: GraphQLClient, length: int) -> list[dict[str, Any]]:
    """t0 -> t1 -> ... with field lineage t_i.v -> t_{i+1}.v (so table edges are implied)."""
    tables = [await make_table(gql, f"t{i}", ["v", "w"]) for i in range(length)]
    await lineage(
        gql,
        "FIELD",
        [
            edge(a["v"], b["v"], transformationType="COPY")
            for a, b in zip(tables, tables[1:], strict=False)
        ],
    )
    return tables


async def graph(gql: GraphQLClient, root: str, **args: Any) -> dict[str, Any]:
    variables = {"root": root, "direction": "BOTH", "depth": 3, "fields": False, "max": 500}
    variables.update(args)
    return (await gql(GRAPH, variables))["lineageGraph"]


async def test_depth_five_upstream_graph_with_fields_is_render_ready(gql: GraphQLClient) -> None:
    tables = await chain(gql, 7)
    result = await graph(gql, tables[6]["id"], direction="UPSTREAM", depth=5, fields=True)
    assert result["truncated"] is False
    table_nodes = [n for n in result["nodes"] if n["type"] == "table"]
    # Left to right as the data flows: most upstream first.
    assert [(n["label"], n["depth"]) for n in table_nodes] == [
        ("t1", -5),
        ("t2", -4),
        ("t3", -3),
        ("t4", -2),
        ("t5", -1),
        ("t6", 0),
    ]
    # t1 has an upstream neighbour (t0) that depth 5 did not load.
    assert result["frontier"] == [tables[1]["id"]]
    assert next(n for n in table_nodes if n["label"] == "t1")["hasMore"] is True
    field_nodes = [n for n in result["nodes"] if n["type"] == "field"]
    assert {n["label"] for n in field_nodes} == {f"t{i}.v" for i in range(1, 7)}
    assert all(n["parentId"] == tables[int(n["label"][1])]["id"] for n in field_nodes)
    levels = sorted(e["level"] for e in result["edges"])
    assert levels == ["FIELD"] * 5 + ["TABLE"] * 5
    assert all(e["implied"] for e in result["edges"] if e["level"] == "TABLE")
    ids = {n["id"] for n in result["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in result["edges"])
    # Same question, same answer, same order.
    again = await graph(gql, tables[6]["id"], direction="UPSTREAM", depth=5, fields=True)
    assert again == result


async def test_diamonds_and_cycles_visit_each_node_once(gql: GraphQLClient) -> None:
    # a -> b1..b4 -> c -> a (cycle), and every b feeds c: a diamond of width 4.
    a = await make_table(gql, "a", [])
    bs = [await make_table(gql, f"b{i}", []) for i in range(4)]
    c = await make_table(gql, "c", [])
    edges = [edge(a["id"], b["id"]) for b in bs] + [edge(b["id"], c["id"]) for b in bs]
    edges.append(edge(c["id"], a["id"]))
    await lineage(gql, "TABLE", edges)
    result = await graph(gql, a["id"], direction="DOWNSTREAM", depth=10)
    labels = [(n["label"], n["depth"]) for n in result["nodes"]]
    assert labels == [("a", 0), ("b0", 1), ("b1", 1), ("b2", 1), ("b3", 1), ("c", 2)]
    assert len(result["edges"]) == 9  # every edge among them, the cycle's closing edge too
    assert result["truncated"] is False and result["frontier"] == []


async def test_node_cap_is_never_silent(gql: GraphQLClient) -> None:
    hub = await make_table(gql, "hub", [])
    spokes = [await make_table(gql, f"s{i:02d}", []) for i in range(12)]
    await lineage(gql, "TABLE", [edge(hub["id"], s["id"]) for s in spokes])
    result = await graph(gql, hub["id"], direction="DOWNSTREAM", max=5)
    assert result["truncated"] is True
    assert len(result["nodes"]) == 5
    assert result["frontier"] == [hub["id"]]
    node = next(n for n in result["nodes"] if n["id"] == hub["id"])
    assert node["hasMore"] is True
    # Expanding the frontier node with a bigger cap gives the rest.
    full = await graph(gql, hub["id"], direction="DOWNSTREAM", max=50)
    assert len(full["nodes"]) == 13 and full["truncated"] is False


async def test_filters_and_depth_validation(gql: GraphQLClient) -> None:
    a, b, c = [await make_table(gql, n, []) for n in ("fa", "fb", "fc")]
    created = await lineage(
        gql,
        "TABLE",
        [
            edge(a["id"], b["id"], lineageSource="INFERRED", confidence=0.2),
            edge(a["id"], c["id"], confidence=0.9),
        ],
    )
    low = created["results"][0]["edge"]["id"]
    strong = await graph(gql, a["id"], direction="DOWNSTREAM", filter={"minConfidence": 0.5})
    assert [n["label"] for n in strong["nodes"]] == ["fa", "fc"]
    manual = await graph(gql, a["id"], direction="DOWNSTREAM", filter={"provenance": ["MANUAL"]})
    assert [n["label"] for n in manual["nodes"]] == ["fa", "fc"]
    await gql(
        'mutation ($ids: [ID!]!) { rejectLineage(ids: $ids, reason: "wrong") { __typename } }',
        {"ids": [low]},
    )
    default = await graph(gql, a["id"], direction="DOWNSTREAM")
    assert [n["label"] for n in default["nodes"]] == ["fa", "fc"]
    everything = await graph(gql, a["id"], direction="DOWNSTREAM", filter={"includeRejected": True})
    assert [n["label"] for n in everything["nodes"]] == ["fa", "fb", "fc"]

    errors = await gql.errors(
        GRAPH, {"root": a["id"], "direction": "BOTH", "depth": 11, "fields": False, "max": 10}
    )
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert "from 1 to 10" in errors[0]["message"]


async def test_table_and_field_upstream_fields_batch(gql: GraphQLClient, store: Store) -> None:
    tables = await chain(gql, 4)
    query = """query ($id: ID!) { table(id: $id) {
        upstream(depth: 5) { hops { distance table { name } via { lineageSource } } truncated }
        fields { name upstream(depth: 5) { hops { distance field { name table { name } } } } }
    } }"""
    before = store.statements_sent
    data = await gql(query, {"id": tables[3]["id"]})
    sent = store.statements_sent - before
    table = data["table"]
    assert [(h["distance"], h["table"]["name"]) for h in table["upstream"]["hops"]] == [
        (1, "t2"),
        (2, "t1"),
        (3, "t0"),
    ]
    v = next(f for f in table["fields"] if f["name"] == "v")
    assert [h["field"]["table"]["name"] for h in v["upstream"]["hops"]] == ["t2", "t1", "t0"]
    w = next(f for f in table["fields"] if f["name"] == "w")
    assert w["upstream"]["hops"] == []

    # Twice as many fields asking for lineage costs no more statements.
    await gql(
        'mutation ($t: ID!) { createFields(tableId: $t, fields: [{name: "x"}, {name: "y"}]) '
        "{ __typename } }",
        {"t": tables[3]["id"]},
    )
    before = store.statements_sent
    await gql(query, {"id": tables[3]["id"]})
    assert store.statements_sent - before == sent


async def test_impact_of_dropping_a_column(gql: GraphQLClient) -> None:
    src = await make_table(gql, "raw_customers", ["email", "phone"])
    stg = await make_table(gql, "stg_customers", ["email", "email_domain"])
    mart = await make_table(gql, "mart_marketing", ["email_domain", "contactable"])
    other = await make_table(gql, "unrelated", ["x"])
    await lineage(
        gql,
        "FIELD",
        [
            edge(src["email"], stg["email"], transformationType="COPY"),
            edge(stg["email"], stg["email_domain"], transformationType="CUSTOM"),
            edge(stg["email_domain"], mart["email_domain"], transformationType="DIRECT"),
            edge(src["phone"], mart["contactable"], transformationType="AGGREGATION"),
            edge(other["x"], mart["contactable"]),
        ],
    )
    query = """query ($id: ID!, $change: ChangeType!) {
      impact(entityId: $id, changeType: $change) {
        entityKind changeType truncated
        tables { label distance severity }
        fields { label distance severity path { label } }
        countsBySource { sourceId tables fields }
      } }"""
    drop = (await gql(query, {"id": src["email"], "change": "DROP"}))["impact"]
    assert drop["entityKind"] == "FIELD"
    assert [(f["label"], f["distance"]) for f in drop["fields"]] == [
        ("stg_customers.email", 1),
        ("stg_customers.email_domain", 2),
        ("mart_marketing.email_domain", 3),
    ]
    assert drop["fields"][2]["path"] == [
        {"label": "raw_customers.email"},
        {"label": "stg_customers.email"},
        {"label": "stg_customers.email_domain"},
        {"label": "mart_marketing.email_domain"},
    ]
    assert [(t["label"], t["distance"]) for t in drop["tables"]] == [
        ("stg_customers", 1),
        ("mart_marketing", 3),
    ]
    assert {f["severity"] for f in drop["fields"]} == {"BREAKING"}
    assert drop["countsBySource"] == [{"sourceId": None, "tables": 2, "fields": 3}]

    retype = (await gql(query, {"id": src["email"], "change": "TYPE_CHANGE"}))["impact"]
    assert [f["severity"] for f in retype["fields"]] == ["BREAKING", "REVIEW", "REVIEW"]

    whole = (await gql(query, {"id": src["id"], "change": "DROP"}))["impact"]
    assert whole["entityKind"] == "TABLE"
    assert {t["label"] for t in whole["tables"]} == {"stg_customers", "mart_marketing"}
    assert "unrelated" not in {t["label"] for t in whole["tables"]}
    assert len(whole["fields"]) == 4


async def test_a_lineage_graph_is_one_statement_whatever_its_root_or_fields(
    gql: GraphQLClient, store: Store
) -> None:
    tables = await chain(gql, 5)
    for root, fields in (
        (tables[2]["id"], True),
        (tables[2]["id"], False),
        (tables[2]["v"], False),
    ):
        before = store.statements_sent
        result = await graph(gql, root, depth=10, fields=fields)
        assert store.statements_sent - before == 1
        assert len([n for n in result["nodes"] if n["type"] == "table"]) == (
            0 if root == tables[2]["v"] else 5
        )
    missing = await gql.errors(
        GRAPH, {"root": "no-such-id", "direction": "BOTH", "depth": 3, "fields": False, "max": 10}
    )
    assert missing[0]["extensions"]["code"] == "NOT_FOUND"


def _operators(plan: dict[str, Any]) -> set[str]:
    found = {plan["operatorType"].split("@")[0]}
    for child in plan.get("children", []):
        found |= _operators(child)
    return found


async def test_the_graph_search_visits_each_node_once_not_each_path(store: Store) -> None:
    """Diamonds multiply paths; the planner's pruning breadth-first expand keeps the cost to
    the nodes reached (the dense case in benchmarks/ measures it)."""
    statement = store.cypher.render("lineage/graph", {"depth": 10})
    _, summary, _ = await store.driver.execute_query(
        "EXPLAIN " + statement, database_=store.database
    )
    operators = _operators(summary.plan)
    assert any(o.startswith("VarLengthExpand(Pruning,BFS") for o in operators), sorted(operators)


async def test_flow_is_the_typed_graph_as_one_json_value(gql: GraphQLClient) -> None:
    tables = await chain(gql, 4)
    query = GRAPH.replace("rootId truncated frontier", "rootId truncated frontier flow")
    variables = {"root": tables[1]["id"], "direction": "BOTH", "depth": 3, "fields": True}
    result = (await gql(query, {**variables, "max": 500}))["lineageGraph"]
    assert result["flow"]["nodes"] == result["nodes"]
    typed_edges = result["edges"]
    assert [{k: e[k] for k in typed_edges[0]} for e in result["flow"]["edges"]] == typed_edges
    assert {e["reviewState"] for e in result["flow"]["edges"]} == {"NOT_REQUIRED"}
