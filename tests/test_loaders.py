"""Nested fields batch through DataLoaders: the statements sent do not grow with N."""

from __future__ import annotations

import pytest

from graph_api.store.client import Store
from tests.conftest import GraphQLClient

NESTED = """
query ($first: Int!) {
  tables(first: $first) {
    totalCount
    nodes {
      name
      source { name tables { name } }
      fields { name table { name source { name } } }
    }
  }
}
"""


async def _seed(gql: GraphQLClient, n: int) -> None:
    sources = []
    for i in range(3):
        data = await gql(
            "mutation ($n: String!) { createSource(input: {name: $n, type: ORACLE}) "
            "{ ... on SourceSuccess { source { id } } } }",
            {"n": f"src{i}"},
        )
        sources.append(data["createSource"]["source"]["id"])
    for i in range(n):
        await gql(
            """mutation ($input: CreateTableInput!) { createTable(input: $input) { __typename } }""",
            {
                "input": {
                    "name": f"table_{i:04d}",
                    "sourceId": sources[i % 4] if i % 4 < 3 else None,
                    "fields": [{"name": "id"}, {"name": "value"}],
                }
            },
        )


async def _statements_for(gql: GraphQLClient, store: Store, n: int) -> int:
    before = store.statements_sent
    data = await gql(NESTED, {"first": n})
    sent = store.statements_sent - before
    nodes = data["tables"]["nodes"]
    assert len(nodes) == n
    assert all(len(t["fields"]) == 2 for t in nodes)
    assert all(f["table"]["name"] == t["name"] for t in nodes for f in t["fields"])
    return sent


@pytest.mark.parametrize("n", [10, 500])
async def test_nested_query_sends_a_constant_number_of_statements(
    gql: GraphQLClient, store: Store, n: int
) -> None:
    await _seed(gql, n)
    sent = await _statements_for(gql, store, n)
    # tables page + count, then one batch each: sources, source tables, fields.
    assert sent == 5, f"{sent} statements for {n} tables"


async def test_each_sources_last_scan_costs_one_statement_in_all(
    gql: GraphQLClient, store: Store
) -> None:
    from graph_api.services.scans.jobs import JobStatus, Progress, ScanOptions, options_props

    for i in range(30):
        data = await gql(
            "mutation ($n: String!) { createSource(input: {name: $n, type: ORACLE}) "
            "{ ... on SourceSuccess { source { id } } } }",
            {"n": f"scanned{i:02d}"},
        )
        if i % 2 == 0:  # every other source has been scanned
            await gql.services.scans.repo.create_job(
                {
                    "id": f"job-{i}",
                    "source_id": data["createSource"]["source"]["id"],
                    "source_name": f"scanned{i:02d}",
                    "status": JobStatus.SUCCEEDED.value,
                    "actor": "ed",
                    **options_props(ScanOptions()),
                    **Progress().as_props(),
                }
            )
    sent = {}
    for n in (3, 30):
        before = store.statements_sent
        data = await gql(
            "query ($n: Int!) { sources(first: $n) { nodes { name lastScan { id status } } } }",
            {"n": n},
        )
        sent[n] = store.statements_sent - before
        nodes = data["sources"]["nodes"]
        assert len(nodes) == n
        for node in nodes:
            i = int(node["name"].removeprefix("scanned"))
            scanned = {"id": f"job-{i}", "status": "SUCCEEDED"}
            assert node["lastScan"] == (scanned if i % 2 == 0 else None), node
    assert sent[3] == sent[30], sent


ONE_TABLE = """
query ($id: ID!) {
  table(id: $id) { name ...Columns }
}
fragment Columns on Table { fields { name dataType table { name } } }
"""


async def test_one_table_with_its_fields_is_one_statement(gql: GraphQLClient, store: Store) -> None:
    created = await gql(
        """mutation ($input: CreateTableInput!) {
          createTable(input: $input) { ... on CreateTableSuccess { table { id } } } }""",
        {
            "input": {
                "name": "orders",
                "fields": [
                    {"name": "id", "dataType": "bigint"},
                    {"name": "total", "dataType": "numeric"},
                    {"name": "placed_at", "dataType": "timestamp"},
                ],
            }
        },
    )
    table_id = created["createTable"]["table"]["id"]
    before = store.statements_sent
    data = await gql(ONE_TABLE, {"id": table_id})
    assert store.statements_sent - before == 1
    table = data["table"]
    assert [(f["name"], f["dataType"]) for f in table["fields"]] == [
        ("id", "bigint"),
        ("total", "numeric"),
        ("placed_at", "timestamp"),
    ]
    assert {f["table"]["name"] for f in table["fields"]} == {"orders"}

    before = store.statements_sent
    data = await gql("query ($id: ID!) { table(id: $id) { name } }", {"id": table_id})
    assert data["table"] == {"name": "orders"}
    assert store.statements_sent - before == 1
    missing = await gql(ONE_TABLE, {"id": "no-such-table"})
    assert missing["table"] is None


async def test_timestamps_asked_for_anywhere_in_the_document_come_back(
    gql: GraphQLClient, store: Store
) -> None:
    # A document that asks for no createdAt or updatedAt reads the table without them; one
    # that asks anywhere (another alias, a fragment) gets them for every read of the table.
    created = await gql(
        """mutation { createTable(input: {name: "stamped", fields: [{name: "id"}]}) {
          ... on CreateTableSuccess { table { id createdAt fields { updatedAt } } } } }"""
    )
    table = created["createTable"]["table"]
    data = await gql(
        """query ($id: ID!) {
          plain: table(id: $id) { name fields { name } }
          dated: table(id: $id) { createdAt fields { ...Stamp } }
        }
        fragment Stamp on Field { name updatedAt }""",
        {"id": table["id"]},
    )
    assert data["plain"] == {"name": "stamped", "fields": [{"name": "id"}]}
    assert data["dated"]["createdAt"] == table["createdAt"]
    assert data["dated"]["fields"] == [{"name": "id", **table["fields"][0]}]
    nested = await gql(
        """query ($id: ID!) { table(id: $id) { fields { name table { updatedAt } } } }""",
        {"id": table["id"]},
    )
    assert nested["table"]["fields"][0]["table"]["updatedAt"] is not None
