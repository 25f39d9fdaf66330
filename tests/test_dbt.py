"""A dbt project's artifacts uploaded to a running Clew, as a user would: tables, table and
column lineage; then a changed manifest, whose dropped dependencies disappear while a MANUAL
edge on the same tables stays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.live import LiveClew, live_clew_fixture  # noqa: F401

JAFFLE = Path(__file__).parent / "fixtures" / "dbt" / "jaffle"
INGEST = """mutation ($manifest: Upload!, $catalog: Upload, $source: ID) {
  ingestDbtProject(input: {manifest: $manifest, catalog: $catalog, sourceId: $source}) {
    __typename
    ... on IngestDbtProjectSuccess { report {
      project tablesCreated tablesUpdated tablesRemoved tablesKept fieldsCreated
      tableEdges fieldEdges edgesRemoved lineageSummary
      problems { code message uniqueId }
      relations { uniqueId table { id qualifiedName } }
    } }
    ... on UserError { code message field }
  }
}"""
GRAPH = """query ($id: ID!) {
  lineageGraph(rootId: $id, direction: UPSTREAM, depth: 1, includeFields: true) {
    nodes { id label }
    edges { source target level provenance transformation }
  }
}"""


def upload(
    live: LiveClew,
    headers: dict[str, str],
    manifest: str,
    catalog: str | None,
    source: str | None = None,
) -> Any:
    files = {"0": (manifest, (JAFFLE / manifest).read_bytes(), "application/json")}
    mapping: dict[str, list[str]] = {"0": ["variables.manifest"]}
    if catalog:
        files["1"] = (catalog, (JAFFLE / catalog).read_bytes(), "application/json")
        mapping["1"] = ["variables.catalog"]
    answer = httpx.post(
        live.graphql,
        headers=headers,
        data={
            "operations": json.dumps(
                {
                    "query": INGEST,
                    "variables": {"manifest": None, "catalog": None, "source": source},
                }
            ),
            "map": json.dumps(mapping),
        },
        files=files,
        timeout=120,
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]["ingestDbtProject"]


def gql(live: LiveClew, headers: dict[str, str], query: str, **variables: Any) -> Any:
    answer = httpx.post(
        live.graphql, headers=headers, json={"query": query, "variables": variables}, timeout=60
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def upstream(live: LiveClew, headers: dict[str, str], table_id: str) -> list[tuple[str, ...]]:
    graph = gql(live, headers, GRAPH, id=table_id)["lineageGraph"]
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    return sorted(
        (labels[e["source"]], labels[e["target"]], e["level"], e["provenance"], e["transformation"])
        for e in graph["edges"]
        if e["target"] == table_id or labels[e["target"]].startswith(labels[table_id] + ".")
    )


def test_a_dbt_project_becomes_tables_and_lineage_and_follows_its_changes(
    live_clew: LiveClew,
) -> None:
    editor = live_clew.create_user(live_clew.sign_in(), "ed", "EDITOR")
    first = upload(live_clew, editor, "manifest.json", "catalog.json")
    assert first["__typename"] == "IngestDbtProjectSuccess", first
    report = first["report"]
    assert report["project"] == "jaffle"
    assert report["tablesCreated"] == [
        "analytics.customers",
        "analytics.orders",
        "analytics.stg_customers",
        "analytics.stg_orders",
        "analytics.stg_payments",
        "raw.country_codes",
        "raw.raw_customers",
        "raw.raw_orders",
        "raw.raw_payments",
        "snapshots.customers_snapshot",
    ]
    assert report["problems"] == []
    tables = {r["table"]["qualifiedName"]: r["table"]["id"] for r in report["relations"]}

    # Table lineage from depends_on (through the ephemeral model), column lineage from the
    # compiled SQL.
    customers = upstream(live_clew, editor, tables["analytics.customers"])
    assert [e for e in customers if e[2] == "TABLE"] == [
        ("analytics.stg_customers", "analytics.customers", "TABLE", "INFERRED", "ETL"),
        ("analytics.stg_orders", "analytics.customers", "TABLE", "INFERRED", "ETL"),
        ("analytics.stg_payments", "analytics.customers", "TABLE", "INFERRED", "ETL"),
    ]
    fields = {(e[0], e[1]): e[4] for e in customers if e[2] == "FIELD"}
    assert fields[("analytics.stg_customers.customer_id", "analytics.customers.customer_id")]
    assert (
        fields[("analytics.stg_orders.order_date", "analytics.customers.first_order")]
        == "AGGREGATION"
    )
    # Through __dbt__cte__int_order_payments to the model it reads.
    assert (
        "analytics.stg_payments.amount",
        "analytics.customers.customer_lifetime_value",
    ) in fields

    # A person declares the stg_orders -> customers dependency by hand.
    declared = gql(
        live_clew,
        editor,
        "mutation ($e: [LineageEdgeInput!]!) { createTableLineage(edges: $e, onDuplicate: "
        "UPDATE) { ... on LineageChangeSuccess { results { edge { lineageSource } } } } }",
        e=[
            {
                "upstreamId": tables["analytics.stg_orders"],
                "downstreamId": tables["analytics.customers"],
                "lineageSource": "MANUAL",
            }
        ],
    )
    assert declared["createTableLineage"]["results"][0]["edge"]["lineageSource"] == "MANUAL"

    second = upload(live_clew, editor, "manifest_changed.json", "catalog.json")["report"]
    assert second["tablesCreated"] == []
    assert second["tablesRemoved"] == ["snapshots.customers_snapshot"]
    assert second["edgesRemoved"] > 0
    customers = upstream(live_clew, editor, tables["analytics.customers"])
    assert [e for e in customers if e[2] == "TABLE"] == [
        ("analytics.stg_customers", "analytics.customers", "TABLE", "INFERRED", "ETL"),
        ("analytics.stg_orders", "analytics.customers", "TABLE", "MANUAL", None),
    ]
    assert not any(e[0].startswith("analytics.stg_orders.") for e in customers)
    orders = upstream(live_clew, editor, tables["analytics.orders"])
    assert not any(e[1] == "analytics.orders.credit_card_amount" for e in orders)
    assert any(e[1] == "analytics.orders.amount" for e in orders)


def test_a_manifest_from_dbt_test_says_to_run_dbt_compile(live_clew: LiveClew) -> None:
    editor = live_clew.create_user(live_clew.sign_in(), "ed", "EDITOR")
    answer = upload(live_clew, editor, "manifest_tested.json", None)
    report = answer["report"]
    assert report["fieldEdges"] == 0 and report["tableEdges"] > 0
    [problem] = report["problems"]
    assert problem["code"] == "NO_COMPILED_CODE"
    assert "dbt compile" in problem["message"]


def test_what_is_no_manifest_is_refused_naming_the_upload(live_clew: LiveClew) -> None:
    editor = live_clew.create_user(live_clew.sign_in(), "ed", "EDITOR")
    answer = upload(live_clew, editor, "catalog.json", None)
    assert answer["__typename"] == "ValidationError"
    assert answer["field"] == "input.manifest"


def test_relations_are_matched_to_the_tables_of_the_source_named(live_clew: LiveClew) -> None:
    admin = live_clew.sign_in()
    source = gql(
        live_clew,
        admin,
        "mutation ($input: CreateSourceInput!) { createSource(input: $input) {"
        " ... on SourceSuccess { source { id } } } }",
        input={
            "name": "warehouse",
            "type": "POSTGRESQL",
            "connection": {"host": "db.example", "database": "jaffle", "username": "dbt"},
        },
    )["createSource"]["source"]["id"]
    editor = live_clew.create_user(admin, "ed", "EDITOR")
    existing = gql(
        live_clew,
        editor,
        "mutation ($input: CreateTableInput!) { createTable(input: $input) {"
        " ... on CreateTableSuccess { table { id } } } }",
        input={
            "name": "RAW_CUSTOMERS",
            "schema": "raw",
            "sourceId": source,
            "description": "Written by a person",
            "fields": [{"name": "id", "dataType": "int4"}],
        },
    )["createTable"]["table"]["id"]
    report = upload(live_clew, editor, "manifest.json", "catalog.json", source=source)["report"]
    assert "raw.raw_customers" not in report["tablesCreated"]
    relations = {r["uniqueId"]: r["table"]["id"] for r in report["relations"]}
    assert relations["source.jaffle.raw.raw_customers"] == existing
    table = gql(
        live_clew,
        editor,
        "query ($id: ID!) { table(id: $id) { description tags source { name }"
        " fields { name dataType } } }",
        id=existing,
    )["table"]
    # What a person wrote and what the database reported stay; dbt adds what was missing.
    assert table["description"] == "Written by a person"
    assert table["tags"] == ["raw"] and table["source"] == {"name": "warehouse"}
    assert table["fields"][0] == {"name": "id", "dataType": "int4"}
    assert [f["name"] for f in table["fields"]] == ["id", "first_name", "last_name", "email"]
