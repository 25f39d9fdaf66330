"""Lineage as a steward and a data engineer use it, through GraphQL against the real Neo4j."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient

EDGE_FIELDS = """
  id level upstreamId downstreamId lineageSource confidence transformationType
  reviewState reviewedBy implied
"""


async def make_table(gql: GraphQLClient, name: str, fields: list[str]) -> dict[str, Any]:
    data = await gql(
        """mutation ($input: CreateTableInput!) { createTable(input: $input) {
             ... on CreateTableSuccess { table { id name } fields { id name } } } }""",
        {"input": {"name": name, "fields": [{"name": f} for f in fields]}},
    )
    result = data["createTable"]
    assert "id" not in fields, "the key 'id' is the table's id"
    return {
        "id": result["table"]["id"],
        **{f["name"]: f["id"] for f in result["fields"]},
    }


async def lineage(
    gql: GraphQLClient,
    level: str,
    edges: list[dict[str, Any]],
    on_duplicate: str = "ERROR",
    actor: str = "tester",
) -> dict[str, Any]:
    mutation = "createTableLineage" if level == "TABLE" else "createFieldLineage"
    data = await gql(
        f"""mutation ($edges: [LineageEdgeInput!]!, $dup: OnDuplicate!) {{
              result: {mutation}(edges: $edges, onDuplicate: $dup) {{
                __typename
                ... on LineageChangeSuccess {{
                  results {{ outcome message edge {{ {EDGE_FIELDS} }} }}
                  impliedTableEdgesCreated impliedTableEdgesRemoved
                }}
                ... on UserError {{ code message field }}
              }}
            }}""",
        {"edges": edges, "dup": on_duplicate},
        actor=actor,
    )
    return data["result"]


def edge(up: str, down: str, **extra: Any) -> dict[str, Any]:
    return {"upstreamId": up, "downstreamId": down, **extra}


@pytest.fixture
async def pipeline(gql: GraphQLClient) -> dict[str, dict[str, Any]]:
    """crm.customers -> stg_customers -> dim_customer -> mart_revenue, plus orders -> mart."""
    t = {
        "customers": await make_table(gql, "customers", ["customer_id", "email", "name"]),
        "stg": await make_table(gql, "stg_customers", ["customer_id", "email", "name"]),
        "dim": await make_table(gql, "dim_customer", ["customer_key", "email"]),
        "orders": await make_table(gql, "orders", ["order_id", "customer_id", "amount"]),
        "mart": await make_table(gql, "mart_revenue", ["customer_key", "email", "revenue"]),
    }
    return t


async def test_field_lineage_implies_table_lineage_and_follows_it(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    result = await lineage(
        gql,
        "FIELD",
        [
            edge(c["customer_id"], s["customer_id"], transformationType="COPY"),
            edge(c["email"], s["email"], transformationType="COPY"),
        ],
    )
    assert result["__typename"] == "LineageChangeSuccess"
    assert [r["outcome"] for r in result["results"]] == ["CREATED", "CREATED"]
    assert len(result["impliedTableEdgesCreated"]) == 1
    implied_id = result["impliedTableEdgesCreated"][0]

    data = await gql(
        f"query ($id: ID!) {{ lineageEdge(id: $id) {{ {EDGE_FIELDS} }} }}", {"id": implied_id}
    )
    implied = data["lineageEdge"]
    assert implied["level"] == "TABLE" and implied["implied"] is True
    assert (implied["upstreamId"], implied["downstreamId"]) == (c["id"], s["id"])
    assert implied["lineageSource"] == "MANUAL"

    # Removing one field edge keeps the table edge; removing the last removes it.
    first, second = (r["edge"]["id"] for r in result["results"])
    delete = """mutation ($ids: [ID!]!) { deleteLineage(ids: $ids) {
        ... on DeleteLineageSuccess { deletedIds impliedTableEdgesRemoved } } }"""
    one = await gql(delete, {"ids": [first]})
    assert one["deleteLineage"]["impliedTableEdgesRemoved"] == []
    two = await gql(delete, {"ids": [second]})
    assert two["deleteLineage"]["impliedTableEdgesRemoved"] == [implied_id]


async def test_rules_give_plain_errors(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    self_edge = await lineage(gql, "TABLE", [edge(c["id"], c["id"])])
    assert self_edge["code"] == "VALIDATION" and "to itself" in self_edge["message"]
    wrong_level = await lineage(gql, "TABLE", [edge(c["email"], s["id"])])
    assert wrong_level["code"] == "VALIDATION"
    assert "'email' is a field" in wrong_level["message"]
    missing = await lineage(gql, "FIELD", [edge(c["email"], "nope")])
    assert missing["code"] == "NOT_FOUND" and missing["field"] == "edges[0].downstreamId"
    bad_confidence = await lineage(gql, "TABLE", [edge(c["id"], s["id"], confidence=1.5)])
    assert bad_confidence["field"] == "edges[0].confidence"

    assert (await lineage(gql, "TABLE", [edge(c["id"], s["id"])]))["__typename"] == (
        "LineageChangeSuccess"
    )
    duplicate = await lineage(gql, "TABLE", [edge(c["id"], s["id"])])
    assert duplicate["code"] == "CONFLICT" and "already exists" in duplicate["message"]
    updated = await lineage(
        gql, "TABLE", [edge(c["id"], s["id"], transformationType="ETL")], on_duplicate="UPDATE"
    )
    assert updated["results"][0]["outcome"] == "UPDATED"
    assert updated["results"][0]["edge"]["transformationType"] == "ETL"


async def test_inferred_lineage_never_overwrites_manual_work(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    manual = await lineage(
        gql, "TABLE", [edge(c["id"], s["id"], transformationType="ETL", confidence=0.95)]
    )
    manual_id = manual["results"][0]["edge"]["id"]
    inferred = await lineage(
        gql,
        "TABLE",
        [
            edge(
                c["id"],
                s["id"],
                lineageSource="INFERRED",
                transformationType="COPY",
                confidence=0.4,
            )
        ],
        on_duplicate="UPDATE",
        actor="scanner",
    )
    outcome = inferred["results"][0]
    assert outcome["outcome"] == "KEPT_EXISTING"
    assert "kept" in outcome["message"] and "suggestion" in outcome["message"]
    assert outcome["edge"]["id"] == manual_id
    assert outcome["edge"]["lineageSource"] == "MANUAL"
    assert outcome["edge"]["transformationType"] == "ETL"
    assert outcome["edge"]["confidence"] == 0.95

    history = await gql(
        "query ($id: ID!) { history(entityId: $id) { nodes { action actor comment after } } }",
        {"id": manual_id},
    )
    suggestion = history["history"]["nodes"][0]
    assert suggestion["action"] == "SUGGESTION" and suggestion["actor"] == "scanner"
    assert suggestion["after"]["transformation_type"] == "COPY"


async def test_steward_approves_many_at_once_and_edits_need_reapproval(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    p = pipeline
    inferred = await lineage(
        gql,
        "TABLE",
        [
            edge(p["customers"]["id"], p["stg"]["id"], lineageSource="INFERRED", confidence=0.7),
            edge(p["stg"]["id"], p["dim"]["id"], lineageSource="INFERRED", confidence=0.6),
            edge(p["dim"]["id"], p["mart"]["id"], lineageSource="INFERRED", confidence=0.3),
            edge(p["orders"]["id"], p["mart"]["id"], lineageSource="INFERRED", confidence=0.8),
        ],
    )
    ids = [r["edge"]["id"] for r in inferred["results"]]
    assert {r["edge"]["reviewState"] for r in inferred["results"]} == {"PENDING"}

    queue = await gql(
        """query { reviewQueue(maxConfidence: 0.75) {
             totalCount tableEdgeCount edges { id confidence } } }"""
    )
    assert queue["reviewQueue"]["totalCount"] == 3
    assert [e["confidence"] for e in queue["reviewQueue"]["edges"]] == [0.3, 0.6, 0.7]

    approved = await gql(
        """mutation ($ids: [ID!]!) { approveLineage(ids: $ids, comment: "checked with owners") {
             ... on LineageChangeSuccess { results { edge { lineageSource reviewState reviewedBy } } }
           } }""",
        {"ids": ids[:3]},
        actor="steward",
    )
    assert [r["edge"] for r in approved["approveLineage"]["results"]] == [
        {"lineageSource": "APPROVED", "reviewState": "APPROVED", "reviewedBy": "steward"}
    ] * 3
    remaining = await gql("query { reviewQueue { totalCount edges { id } } }")
    assert remaining["reviewQueue"]["edges"] == [{"id": ids[3]}]

    edited = await gql(
        """mutation ($id: ID!) { updateLineage(id: $id, input: {transformationType: JOIN}) {
             ... on LineageEdgeSuccess { edge { lineageSource reviewState transformationType } } } }""",
        {"id": ids[0]},
    )
    assert edited["updateLineage"]["edge"] == {
        "lineageSource": "MANUAL",
        "reviewState": "PENDING",
        "transformationType": "JOIN",
    }
    described = await gql(
        """mutation ($id: ID!) { updateLineage(id: $id, input: {description: "nightly"}) {
             ... on LineageEdgeSuccess { edge { lineageSource } } } }""",
        {"id": ids[1]},
    )
    assert described["updateLineage"]["edge"]["lineageSource"] == "APPROVED"

    rejected = await gql(
        """mutation ($ids: [ID!]!) { rejectLineage(ids: $ids, reason: "") {
             __typename ... on UserError { field } } }""",
        {"ids": [ids[3]]},
    )
    assert rejected["rejectLineage"] == {"__typename": "ValidationError", "field": "reason"}
    missing = await gql(
        """mutation ($ids: [ID!]!) { approveLineage(ids: $ids) {
             __typename ... on UserError { message } } }""",
        {"ids": [ids[3], "no-such-edge"]},
    )
    assert missing["approveLineage"]["__typename"] == "NotFoundError"
    still = await gql("query ($id: ID!) { lineageEdge(id: $id) { reviewState } }", {"id": ids[3]})
    assert still["lineageEdge"]["reviewState"] == "PENDING"


async def test_history_of_an_edge_approved_then_deleted(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    p = pipeline
    created = await lineage(
        gql, "TABLE", [edge(p["orders"]["id"], p["mart"]["id"], lineageSource="INFERRED")]
    )
    edge_id = created["results"][0]["edge"]["id"]
    await gql(
        'mutation ($ids: [ID!]!) { approveLineage(ids: $ids, comment: "ok") { __typename } }',
        {"ids": [edge_id]},
        actor="steward",
    )
    await gql(
        "mutation ($ids: [ID!]!) { deleteLineage(ids: $ids) { __typename } }",
        {"ids": [edge_id]},
        actor="engineer",
    )
    data = await gql(
        "query ($id: ID!) { lineageEdge(id: $id) { id } history(entityId: $id) { totalCount "
        "nodes { action actor comment before after } } }",
        {"id": edge_id},
    )
    assert data["lineageEdge"] is None
    nodes = data["history"]["nodes"]
    assert [(n["action"], n["actor"]) for n in nodes] == [
        ("DELETE", "engineer"),
        ("APPROVE", "steward"),
        ("CREATE", "tester"),
    ]
    assert nodes[0]["before"]["lineage_source"] == "APPROVED"
    assert nodes[1]["comment"] == "ok"


async def test_concurrent_declarations_make_one_edge(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    import asyncio

    c, s = pipeline["customers"], pipeline["stg"]
    results = await asyncio.gather(
        lineage(gql, "FIELD", [edge(c["email"], s["email"])], on_duplicate="SKIP"),
        lineage(gql, "FIELD", [edge(c["name"], s["name"])], on_duplicate="SKIP"),
        lineage(gql, "TABLE", [edge(c["id"], s["id"])], on_duplicate="SKIP"),
        lineage(gql, "TABLE", [edge(c["id"], s["id"])], on_duplicate="SKIP"),
    )
    assert all(r["__typename"] == "LineageChangeSuccess" for r in results)
    graph = await gql(
        "query ($id: ID!) { lineageGraph(rootId: $id, direction: DOWNSTREAM) { edges { level } } }",
        {"id": c["id"]},
    )
    assert [e["level"] for e in graph["lineageGraph"]["edges"]] == ["TABLE"]


async def test_a_stewards_verdict_on_an_implied_edge_stands(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    first = await lineage(gql, "FIELD", [edge(c["email"], s["email"], lineageSource="INFERRED")])
    implied_id = first["impliedTableEdgesCreated"][0]
    await gql(
        "mutation ($ids: [ID!]!) { approveLineage(ids: $ids) { __typename } }",
        {"ids": [implied_id]},
        actor="steward",
    )
    await lineage(gql, "FIELD", [edge(c["name"], s["name"], lineageSource="INFERRED")])
    data = await gql(
        "query ($id: ID!) { lineageEdge(id: $id) { lineageSource reviewState reviewedBy } }",
        {"id": implied_id},
    )
    assert data["lineageEdge"] == {
        "lineageSource": "APPROVED",
        "reviewState": "APPROVED",
        "reviewedBy": "steward",
    }


async def test_editing_a_field_edge_updates_its_implied_table_edge(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    created = await lineage(gql, "FIELD", [edge(c["email"], s["email"], confidence=0.9)])
    field_edge = created["results"][0]["edge"]["id"]
    implied_id = created["impliedTableEdgesCreated"][0]
    await gql(
        "mutation ($id: ID!) { updateLineage(id: $id, input: {confidence: 0.3}) { __typename } }",
        {"id": field_edge},
    )
    data = await gql(
        "query ($id: ID!) { lineageEdge(id: $id) { confidence } history(entityId: $id) "
        "{ nodes { action comment } } }",
        {"id": implied_id},
    )
    assert data["lineageEdge"]["confidence"] == 0.3
    assert data["history"]["nodes"][0]["action"] == "UPDATE"


async def test_lineage_deleted_with_its_table_keeps_its_last_state_in_history(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    created = await lineage(gql, "TABLE", [edge(c["id"], s["id"], transformationType="ETL")])
    edge_id = created["results"][0]["edge"]["id"]
    await gql("mutation ($id: ID!) { deleteTable(id: $id) { __typename } }", {"id": s["id"]})
    data = await gql(
        "query ($id: ID!) { history(entityId: $id) { nodes { action before } } }", {"id": edge_id}
    )
    deletion = data["history"]["nodes"][0]
    assert deletion["action"] == "DELETE"
    assert deletion["before"]["transformation_type"] == "ETL"
    assert deletion["before"]["lineage_source"] == "MANUAL"


REVIEWED = "id lineageSource reviewState reviewedBy reviewedAt reviewComment createdBy"


async def test_redeclaring_a_rejected_edge_cannot_overturn_the_stewards_rejection(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    # The attack (issue 10, item 6): an editor re-declares an edge a steward rejected as MANUAL
    # with onDuplicate UPDATE. Before, the edge became MANUAL / NOT_REQUIRED and left the
    # review queue while still saying "reviewed by steward" with the steward's comment.
    c, s = pipeline["customers"], pipeline["stg"]
    first = await lineage(gql, "FIELD", [edge(c["email"], s["email"], lineageSource="INFERRED")])
    edge_id = first["results"][0]["edge"]["id"]
    await gql(
        """mutation ($ids: [ID!]!) { rejectLineage(ids: $ids, reason: "email is hashed first") {
             __typename } }""",
        {"ids": [edge_id]},
        actor="steward",
    )

    again = await lineage(
        gql,
        "FIELD",
        [edge(c["email"], s["email"], lineageSource="INFERRED", confidence=0.8)],
        on_duplicate="UPDATE",
        actor="scanner",
    )
    # A machine seeing the rejected edge again does not reopen it.
    assert again["results"][0]["outcome"] == "KEPT_EXISTING"
    assert "rejected" in again["results"][0]["message"]
    assert again["results"][0]["edge"]["reviewState"] == "REJECTED"

    redeclared = await lineage(
        gql,
        "FIELD",
        [edge(c["email"], s["email"], lineageSource="MANUAL")],
        on_duplicate="UPDATE",
        actor="editor",
    )
    assert redeclared["results"][0]["outcome"] == "UPDATED"
    data = await gql(
        f"""query ($id: ID!) {{ lineageEdge(id: $id) {{ {REVIEWED} }}
              reviewQueue {{ edges {{ id }} }}
              history(entityId: $id) {{ nodes {{ action actor comment }} }} }}""",
        {"id": edge_id},
    )
    # Back with a steward, who rejected what it was; nobody's name is on a pending edge.
    assert data["lineageEdge"] == {
        "id": edge_id,
        "lineageSource": "MANUAL",
        "reviewState": "PENDING",
        "reviewedBy": None,
        "reviewedAt": None,
        "reviewComment": None,
        "createdBy": "tester",
    }
    assert {"id": edge_id} in data["reviewQueue"]["edges"]
    # The rejection stays readable in the edge's history.
    assert {"action": "REJECT", "actor": "steward", "comment": "email is hashed first"} in data[
        "history"
    ]["nodes"]


async def test_an_edited_approved_edge_waits_for_review_under_nobodys_name(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    created = await lineage(gql, "TABLE", [edge(c["id"], s["id"], lineageSource="INFERRED")])
    edge_id = created["results"][0]["edge"]["id"]
    await gql(
        'mutation ($ids: [ID!]!) { approveLineage(ids: $ids, comment: "ok") { __typename } }',
        {"ids": [edge_id]},
        actor="steward",
    )
    data = await gql(
        f"""mutation ($id: ID!) {{ updateLineage(id: $id, input: {{confidence: 0.4}}) {{
              ... on LineageEdgeSuccess {{ edge {{ {REVIEWED} }} }} }} }}""",
        {"id": edge_id},
        actor="editor",
    )
    assert data["updateLineage"]["edge"] == {
        "id": edge_id,
        "lineageSource": "MANUAL",
        "reviewState": "PENDING",
        "reviewedBy": None,
        "reviewedAt": None,
        "reviewComment": None,
        "createdBy": "tester",
    }


async def test_a_steward_declaring_approved_lineage_is_recorded_as_its_reviewer(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    created = await lineage(
        gql, "TABLE", [edge(c["id"], s["id"], lineageSource="APPROVED")], actor="steward"
    )
    edge_id = created["results"][0]["edge"]["id"]
    data = await gql(
        f"query ($id: ID!) {{ lineageEdge(id: $id) {{ {REVIEWED} }} }}", {"id": edge_id}
    )
    got = data["lineageEdge"]
    assert (got["reviewState"], got["reviewedBy"], got["createdBy"]) == (
        "APPROVED",
        "steward",
        "steward",
    )
    assert got["reviewedAt"] is not None


@pytest.mark.parametrize("mutation", ["rejectLineage", "approveLineage"])
async def test_review_comments_have_a_length_limit(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]], mutation: str
) -> None:
    # Issue 10, item 15: a 1 MB rejection reason was stored on the edge and in its history.
    c, s = pipeline["customers"], pipeline["stg"]
    created = await lineage(gql, "TABLE", [edge(c["id"], s["id"], lineageSource="INFERRED")])
    edge_id = created["results"][0]["edge"]["id"]
    argument = "reason" if mutation == "rejectLineage" else "comment"
    refused = await gql(
        f"""mutation ($ids: [ID!]!, $text: String!) {{ {mutation}(ids: $ids, {argument}: $text) {{
              __typename ... on UserError {{ code message field }} }} }}""",
        {"ids": [edge_id], "text": "x" * 1_000_000},
        actor="steward",
    )
    assert refused[mutation] == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "message": f"The {argument} is 1,000,000 characters long; keep it to 2,000 and link to "
        "longer notes.",
        "field": argument,
    }
    data = await gql(
        "query ($id: ID!) { lineageEdge(id: $id) { reviewState } history(entityId: $id) "
        "{ nodes { action } } }",
        {"id": edge_id},
    )
    assert data["lineageEdge"]["reviewState"] == "PENDING"
    assert [n["action"] for n in data["history"]["nodes"]] == ["CREATE"]
    accepted = await gql(
        f"""mutation ($ids: [ID!]!, $text: String!) {{ {mutation}(ids: $ids, {argument}: $text) {{
              __typename }} }}""",
        {"ids": [edge_id], "text": "x" * 2_000},
        actor="steward",
    )
    assert accepted[mutation]["__typename"] == "LineageChangeSuccess"


async def test_an_implied_table_edge_summarises_its_field_transformations_for_impact(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    # Issue 17, defect 7: the implied table edge was always DIRECT, so a type change marked
    # the table BREAKING while each of its fields was only REVIEW.
    c, d, m = pipeline["customers"], pipeline["dim"], pipeline["mart"]
    created = await lineage(
        gql,
        "FIELD",
        [
            edge(c["customer_id"], d["customer_key"], transformationType="ETL"),
            edge(c["email"], d["email"], transformationType="AGGREGATION"),
        ],
    )
    implied_id = created["impliedTableEdgesCreated"][0]
    query = """query ($id: ID!) {
      impact(entityId: $id, changeType: TYPE_CHANGE) {
        tables { label severity } fields { label severity } } }"""

    async def transformation() -> str | None:
        data = await gql(
            "query ($id: ID!) { lineageEdge(id: $id) { transformationType } }", {"id": implied_id}
        )
        return data["lineageEdge"]["transformationType"]

    assert await transformation() == "ETL"
    impact = (await gql(query, {"id": c["id"]}))["impact"]
    assert {f["severity"] for f in impact["fields"]} == {"REVIEW"}
    assert impact["tables"] == [{"label": "dim_customer", "severity": "REVIEW"}]

    # One column copied as it is: a type change now breaks that column, and so the table.
    await lineage(gql, "FIELD", [edge(c["name"], m["email"], transformationType="COPY")])
    copied = await lineage(
        gql, "FIELD", [edge(c["email"], d["customer_key"], transformationType="COPY")]
    )
    assert copied["results"][0]["outcome"] == "CREATED"
    assert await transformation() == "DIRECT"
    impact = (await gql(query, {"id": c["id"]}))["impact"]
    dim = [t for t in impact["tables"] if t["label"] == "dim_customer"]
    assert dim == [{"label": "dim_customer", "severity": "BREAKING"}]

    # The copied column's edge removed: the table is back to what its fields say.
    await gql(
        "mutation ($ids: [ID!]!) { deleteLineage(ids: $ids) { __typename } }",
        {"ids": [copied["results"][0]["edge"]["id"]]},
    )
    assert await transformation() == "ETL"
    history = await gql(
        "query ($id: ID!) { history(entityId: $id) { nodes { action comment } } }",
        {"id": implied_id},
    )
    assert history["history"]["nodes"][0] == {
        "action": "UPDATE",
        "comment": "Follows the field lineage beneath it.",
    }


async def test_rejecting_approved_lineage_revokes_the_approval(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s = pipeline["customers"], pipeline["stg"]
    created = await lineage(
        gql, "TABLE", [edge(c["id"], s["id"], lineageSource="APPROVED")], actor="steward"
    )
    edge_id = created["results"][0]["edge"]["id"]
    await gql(
        'mutation ($ids: [ID!]!) { rejectLineage(ids: $ids, reason: "wrong table") { __typename } }',
        {"ids": [edge_id]},
        actor="chief",
    )
    data = await gql(
        f"query ($id: ID!) {{ lineageEdge(id: $id) {{ {REVIEWED} }} }}", {"id": edge_id}
    )
    got = data["lineageEdge"]
    # Not "APPROVED and REJECTED" at once, a pair no file could carry back in.
    assert (got["lineageSource"], got["reviewState"], got["reviewedBy"], got["reviewComment"]) == (
        "MANUAL",
        "REJECTED",
        "chief",
        "wrong table",
    )


async def test_lineage_errors_name_the_mutations_own_inputs(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    c, s, d = pipeline["customers"], pipeline["stg"], pipeline["dim"]
    third_bad = await lineage(
        gql,
        "FIELD",
        [
            edge(c["email"], s["email"]),
            edge(s["email"], d["email"]),
            edge(c["customer_id"], s["customer_id"], confidence=7.0),
        ],
    )
    assert third_bad["__typename"] == "ValidationError"
    assert third_bad["field"] == "edges[2].confidence"
    assert "got 7.0" in third_bad["message"]

    update = """mutation ($id: ID!, $input: UpdateLineageInput!) {
        updateLineage(id: $id, input: $input) { __typename ... on UserError { field } } }"""
    created = await lineage(gql, "TABLE", [edge(c["id"], s["id"])])
    edge_id = created["results"][0]["edge"]["id"]
    assert (await gql(update, {"id": edge_id, "input": {"confidence": 2.0}}))["updateLineage"] == {
        "__typename": "ValidationError",
        "field": "input.confidence",
    }
    assert (await gql(update, {"id": edge_id, "input": {"transformationLogic": "x" * 100_001}}))[
        "updateLineage"
    ] == {"__typename": "ValidationError", "field": "input.transformationLogic"}
    assert (await gql(update, {"id": "gone", "input": {"description": "d"}}))["updateLineage"] == {
        "__typename": "NotFoundError",
        "field": "id",
    }

    review = """mutation ($ids: [ID!]!, $comment: String) {
        approveLineage(ids: $ids, comment: $comment) { __typename ... on UserError { field } } }"""
    assert (await gql(review, {"ids": [edge_id], "comment": "x" * 5000}))["approveLineage"] == {
        "__typename": "ValidationError",
        "field": "comment",
    }
    assert (await gql(review, {"ids": []}))["approveLineage"] == {
        "__typename": "ValidationError",
        "field": "ids",
    }


async def test_query_errors_name_the_querys_own_arguments(
    gql: GraphQLClient, pipeline: dict[str, dict[str, Any]]
) -> None:
    # The service says which entity it could not find; each query names its own argument
    # (impact used to answer `rootId`, lineageGraph's argument, for its `entityId`).
    impact = await gql.errors('{ impact(entityId: "nope", changeType: DROP) { truncated } }')
    assert impact[0]["extensions"] == {"code": "NOT_FOUND", "field": "entityId"}
    graph = await gql.errors('{ lineageGraph(rootId: "nope") { truncated } }')
    assert graph[0]["extensions"] == {"code": "NOT_FOUND", "field": "rootId"}
    too_deep = await gql.errors(
        "query ($id: ID!) { table(id: $id) { upstream(depth: 99) { truncated } } }",
        {"id": pipeline["customers"]["id"]},
    )
    assert too_deep[0]["extensions"] == {"code": "VALIDATION", "field": "depth"}
    assert too_deep[0]["path"] == ["table", "upstream"]
