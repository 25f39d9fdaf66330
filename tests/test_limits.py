"""Requests too big to serve are refused before they run, each with a message saying which
limit was hit and what to do."""

from __future__ import annotations

from graph_api.schema import schema
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
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_DEEP"}
    assert "18 levels deep; at most 15 are allowed" in errors[0]["message"]
    flood = "{ " + " ".join(f"a{i}: tables {{ totalCount }}" for i in range(60)) + " }"
    errors = await gql.errors(flood)
    assert errors[0]["extensions"] == {"code": "TOO_MANY_ALIASES"}
    assert "60 aliases; at most 50 are allowed" in errors[0]["message"]


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
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert "one request may ask for 50,000" in errors[0]["message"]


async def test_the_nested_lineage_budget_is_refused_before_anything_runs(
    gql: GraphQLClient,
) -> None:
    # Before, the budget was spent while resolving: the 11th table's walk failed at
    # tables.edges.10.node.upstream, after ten walks had run, and the rest of the page came
    # back. Now the document (page size x maxNodes) is refused whole, with no data and no path.
    for i in range(11):
        await gql(f'mutation {{ createTable(input: {{name: "t{i}"}}) {{ __typename }} }}')
    greedy = (
        "query ($n: Int!) { tables(first: 11) { edges { node { name "
        "upstream(maxNodes: $n) { truncated } } } } }"
    )
    result = await schema.execute(greedy, variable_values={"n": 5000}, context_value=gql.context())
    assert result.data is None
    assert len(result.errors) == 1
    error = result.errors[0].formatted
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY"}
    assert "path" not in error
    assert "up to 55,000 nodes in all; one request may ask for 50,000" in error["message"]
    # Within the budget, it runs (variables decide, as they are known before execution).
    result = await schema.execute(greedy, variable_values={"n": 4000}, context_value=gql.context())
    assert result.errors is None
    assert len(result.data["tables"]["edges"]) == 11


async def test_traversals_are_counted_not_field_names(gql: GraphQLClient) -> None:
    # A lineage edge's upstream and downstream are its two ends, not walks: asked three
    # times (six field names) it is one cheap lookup each, and was refused as six traversals.
    ends = 'lineageEdge(id: "%s") { upstream { __typename } downstream { __typename } }'
    query = "{ " + " ".join(f"e{i}: " + ends % i for i in range(3)) + " }"
    result = await gql(query)
    assert result == {"e0": None, "e1": None, "e2": None}
    # Real walks are still counted, also through fragments and inline fragments.
    walks = "{ tables { nodes { ...W ... on Table { d1: downstream { truncated } } } } %s }"
    graphs = " ".join(f'g{i}: lineageGraph(rootId: "x") {{ truncated }}' for i in range(3))
    errors = await gql.errors(
        walks % graphs + " fragment W on Table { upstream { truncated } downstream { truncated } }"
    )
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_COSTLY"}
    assert "6 lineage traversals" in errors[0]["message"]


async def test_repeated_fields_are_refused_with_a_code_before_validation(
    gql: GraphQLClient,
) -> None:
    # About 1,000 repeated fields used to come back as graphql-core's bare
    # "Validation aborted." after a quadratic overlapping-fields check.
    repeated = "{ tables { nodes { " + "name " * 1900 + "} } }"
    errors = await gql.errors(repeated)
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "TOO_MANY_FIELDS"}
    assert "asks for 'name' 1900 times in one selection; at most 30" in errors[0]["message"]
    # 203 fields in one selection, none more than 29 times: the number is bounded too.
    wide = "{ tables { nodes { " + "id name schema kind description tags __typename " * 29 + "} } }"
    errors = await gql.errors(wide)
    assert errors[0]["extensions"] == {"code": "TOO_MANY_FIELDS"}
    assert "more than 200 fields" in errors[0]["message"]
    # Within each selection, but too many in all.
    pages = " ".join(
        f"p{i}: tables {{ nodes {{ " + "name " * 25 + "description " * 25 + "kind " * 25 + "} }"
        for i in range(27)
    )
    errors = await gql.errors("{ " + pages + " }")
    assert errors[0]["extensions"] == {"code": "TOO_MANY_FIELDS"}
    assert "more than 2,000 fields in all" in errors[0]["message"]
    # Spreading fragments to multiply fields is counted with the fragments expanded.
    levels = ["fragment F0 on Table { name description }"]
    levels += [
        f"fragment F{i} on Table {{ ...F{i - 1} ... on Table {{ ...F{i - 1} }} }}"
        for i in range(1, 12)
    ]
    many = "{ tables { nodes { ...F11 } } } " + " ".join(levels)
    errors = await gql.errors(many)
    assert errors[0]["extensions"] == {"code": "TOO_MANY_FIELDS"}
    # Many distinct mistakes: the first 50 are listed, then Clew's own sentence.
    wrong = "{ tables { nodes { " + " ".join(f"nope{i}" for i in range(120)) + " } } }"
    errors = await gql.errors(wrong)
    assert len(errors) == 51
    assert all(e["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"} for e in errors)
    assert "more than 50 errors, so Clew stopped checking it" in errors[-1]["message"]
    assert not any("Validation aborted" in e["message"] for e in errors)


async def test_token_and_size_limits_name_themselves(gql: GraphQLClient) -> None:
    many_tokens = "{ tables { nodes { name } } " + "# c\n" * 20_001 + "}"
    errors = await gql.errors(many_tokens)
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_LARGE"}
    assert "more than 20,000 tokens" in errors[0]["message"]
    huge = "{ __typename }" + " " * 100_001
    errors = await gql.errors(huge)
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_LARGE"}
    assert "at most 100,000 are allowed" in errors[0]["message"]
    broken = await gql.errors("{ tables { ")
    assert broken[0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert broken[0]["message"].startswith("Syntax Error")
