"""Property-based fuzzing of the whole GraphQL schema against the real Neo4j.

Hypothesis generates valid queries and mutations from the schema (every root field, every
argument, nested selections) and runs them with a real per-request context over a small
seeded catalog. Whatever the input, a client must never see an INTERNAL error: that code
means an unexpected exception, i.e. a bug. Set CLEW_FUZZ_EXAMPLES to run more examples.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from graph_api.auth.roles import Role
from graph_api.context import Context
from graph_api.schema import schema
from tests.conftest import GraphQLClient

# Restarts Neo4j or fuzzes: left out of `make test-fast`.
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CLEW_FUZZ_EXAMPLES", "60"))
SDL = str(schema)

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

SEED = """
mutation Seed($pw: String!) {
  source: createSource(input: {name: "fuzz-pg", type: POSTGRESQL, connection: {
      host: "127.0.0.1", port: 1, database: "db", username: "u", password: $pw,
      connectTimeout: 1}}) {
    ... on SourceSuccess { source { id } }
  }
  orders: createTable(input: {name: "orders", schema: "sales", tags: ["pii"], fields: [
      {name: "id", dataType: "BIGINT", primaryKey: true, nullable: false},
      {name: "amount", dataType: "NUMERIC(10,2)"}]}) {
    ... on CreateTableSuccess { table { id } fields { id } }
  }
  totals: createTable(input: {name: "totals", schema: "mart", fields: [
      {name: "order_id", dataType: "BIGINT"}, {name: "total", dataType: "NUMERIC"}]}) {
    ... on CreateTableSuccess { table { id } fields { id } }
  }
}
"""


async def seed_catalog(gql: GraphQLClient) -> list[str]:
    """A source, two tables with fields and field lineage between them; returns every id."""
    data = await gql(SEED, {"pw": "fuzz-password"})
    orders, totals = data["orders"], data["totals"]
    lineage = await gql(
        """mutation ($edges: [LineageEdgeInput!]!) {
             createFieldLineage(edges: $edges) {
               ... on LineageChangeSuccess { results { edge { id } } impliedTableEdgesCreated }
             }
           }""",
        {
            "edges": [
                {
                    "upstreamId": orders["fields"][0]["id"],
                    "downstreamId": totals["fields"][0]["id"],
                },
                {
                    "upstreamId": orders["fields"][1]["id"],
                    "downstreamId": totals["fields"][1]["id"],
                    "transformationType": "AGGREGATION",
                },
            ]
        },
    )
    change = lineage["createFieldLineage"]
    ids = [
        data["source"]["source"]["id"],
        orders["table"]["id"],
        totals["table"]["id"],
        *(f["id"] for f in orders["fields"] + totals["fields"]),
        *(r["edge"]["id"] for r in change["results"]),
        *change["impliedTableEdgesCreated"],
    ]
    assert len(ids) == 10, ids
    return ids


def scalars(ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    known = st.sampled_from(ids)
    unknown = st.text(max_size=40)
    return {
        # Mostly ids that exist, so resolvers get past "not found" into the real work.
        "ID": st.one_of(known, known, unknown).map(lambda v: graphql.StringValueNode(value=v)),
        # An Upload cannot be written inline; a string stands in for what a client might send.
        "Upload": st.text(max_size=20).map(lambda v: graphql.StringValueNode(value=v)),
        "DateTime": st.datetimes().map(lambda v: graphql.StringValueNode(value=v.isoformat())),
        "JSON": st.text(max_size=20).map(lambda v: graphql.StringValueNode(value=v)),
    }


def internal_errors(result: Any) -> list[dict[str, Any]]:
    return [
        e.formatted for e in result.errors or [] if (e.extensions or {}).get("code") == "INTERNAL"
    ]


@dataclass
class Seeded:
    ids: list[str]
    user_id: str


@pytest.fixture
async def seeded(gql: GraphQLClient) -> Seeded:
    # A real signed-in admin, so "me" and token mutations act on a user that exists.
    user, _ = await gql.identity.create_user(
        actor="fuzz-setup", username="fuzzer", role=Role.ADMIN, password="fuzz-Passw0rd-long"
    )
    return Seeded(await seed_catalog(gql), user.id)


def context(gql: GraphQLClient, seeded: Seeded) -> Context:
    return gql.context("fuzzer", user_id=seeded.user_id)


async def run(gql: GraphQLClient, seeded: Seeded, document: str) -> None:
    result = await schema.execute(document, context_value=context(gql, seeded))
    assert not internal_errors(result), (document, internal_errors(result))


@FUZZ_SETTINGS
@given(data=st.data())
async def test_fuzzed_queries_never_fail_internally(
    gql: GraphQLClient, seeded: Seeded, data: st.DataObject
) -> None:
    query = data.draw(
        from_schema(SDL, fields=_root_fields("query"), custom_scalars=scalars(seeded.ids)),
        label="query",
    )
    await run(gql, seeded, query)


@FUZZ_SETTINGS
@given(data=st.data())
async def test_fuzzed_mutations_never_fail_internally(
    gql: GraphQLClient, seeded: Seeded, data: st.DataObject
) -> None:
    mutation = data.draw(
        from_schema(SDL, fields=_root_fields("mutation"), custom_scalars=scalars(seeded.ids)),
        label="mutation",
    )
    await run(gql, seeded, mutation)


def _root_fields(kind: str) -> list[str]:
    graphql_schema = schema._schema
    root = graphql_schema.query_type if kind == "query" else graphql_schema.mutation_type
    assert root is not None
    return sorted(root.fields)


# Regressions the fuzzer found: each once reached clients as INTERNAL.


@pytest.mark.parametrize("field", ["name", "active"])
async def test_update_source_with_a_null_required_field_is_explained(
    gql: GraphQLClient, field: str
) -> None:
    ids = await seed_catalog(gql)
    data = await gql(
        f"""mutation ($id: ID!) {{
              updateSource(id: $id, input: {{{field}: null}}) {{
                __typename ... on UserError {{ code message field }}
              }}
            }}""",
        {"id": ids[0]},
    )
    assert data["updateSource"] == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "message": f"'{field}' cannot be null; leave it out to keep the current value.",
        "field": f"input.{field}",
    }


@pytest.mark.parametrize("host", ["db\ueb88.example.com", "a" * 64 + ".example.com"])
async def test_a_host_name_that_cannot_be_resolved_is_a_validation_error(
    gql: GraphQLClient, host: str
) -> None:
    data = await gql(
        """mutation ($host: String!) {
             testConnectionConfig(input: {type: POSTGRESQL, connection: {host: $host}}) {
               __typename ... on UserError { code field }
             }
           }""",
        {"host": host},
    )
    assert data["testConnectionConfig"] == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "field": "connection.host",
    }
