"""Requests too big to serve are refused before they run, each with a message saying which
limit was hit and what to do."""

from __future__ import annotations

from tests.conftest import GraphQLClient


async def test_too_many_lineage_traversals_in_one_request_are_refused(gql: GraphQLClient) -> None:
    one = 'lineageGraph(rootId: "x", maxNodes: 5000) { truncated }'
    query = "{ " + " ".join(f"g{i}: {one}" for i in range(6)) + " }"
    errors = await gql.errors(query)
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_COSTLY"}
    assert "6 lineage traversals" in errors[0]["message"]
    assert "at most 5" in errors[0]["message"]
    # Hiding them in fragments does not help.
    hidden = (
        "query { ...A ...B } fragment A on Query { a1: %s a2: %s a3: %s } fragment B on Query { b1: %s b2: %s b3: %s }"
        % ((one,) * 6)
    )
    errors = await gql.errors(hidden)
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_COSTLY"}


async def test_deep_nesting_and_alias_floods_are_refused(gql: GraphQLClient) -> None:
    deep = "{ tables { nodes { " + "fields { table { " * 8 + "name" + " } }" * 8 + " } } }"
    errors = await gql.errors(deep)
    assert "exceeds maximum operation depth" in errors[0]["message"]
    flood = "{ " + " ".join(f"a{i}: tables {{ totalCount }}" for i in range(60)) + " }"
    errors = await gql.errors(flood)
    assert "aliases found" in errors[0]["message"]


async def test_pages_larger_than_the_cap_are_refused_with_the_cap(gql: GraphQLClient) -> None:
    errors = await gql.errors("{ tables(first: 100000) { totalCount } }")
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert str(gql.settings.max_page_size) in errors[0]["message"]


async def test_nested_lineage_over_a_page_is_bounded_per_request(gql: GraphQLClient) -> None:
    for i in range(11):
        await gql(f'mutation {{ createTable(input: {{name: "t{i}"}}) {{ __typename }} }}')
    modest = await gql("{ tables(first: 100) { nodes { upstream { truncated } } } }")
    assert len(modest["tables"]["nodes"]) == 11
    greedy = "{ tables(first: 100) { nodes { upstream(maxNodes: 5000) { truncated } } } }"
    errors = await gql.errors(greedy)
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert "one request may ask for 50,000" in errors[0]["message"]
