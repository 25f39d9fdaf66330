"""UserError.field next to FieldSuccess.field: GraphQL refuses the clash, an alias answers."""

from __future__ import annotations

from tests.conftest import GraphQLClient
from tests.test_catalog import create_table


async def test_a_client_aliases_the_error_path_next_to_a_fields_success(
    gql: GraphQLClient,
) -> None:
    table = (await create_table(gql, name="t"))["table"]["id"]
    clash = """mutation ($t: ID!) { createField(tableId: $t, input: {name: " "}) {
      ... on FieldSuccess { field { id } } ... on UserError { code field } } }"""
    errors = await gql.errors(clash, {"t": table})
    assert "conflict" in errors[0]["message"]
    aliased = """mutation ($t: ID!) { createField(tableId: $t, input: {name: " "}) {
      __typename ... on FieldSuccess { field { id } } ... on UserError { code inputPath: field } } }"""
    answer = (await gql(aliased, {"t": table}))["createField"]
    assert answer == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "inputPath": "input.name",
    }
