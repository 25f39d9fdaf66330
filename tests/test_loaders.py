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
