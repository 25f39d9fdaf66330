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
