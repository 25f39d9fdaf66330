"""Browsing the catalog by schema: the schemas tables are filed under, and a schema's tables."""

from __future__ import annotations

from tests.conftest import GraphQLClient
from tests.test_catalog import create_source, create_table

TABLES = """query ($schema: String, $s: ID, $text: String, $after: String) {
  tables(schema: $schema, sourceId: $s, text: $text, first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { qualifiedName }
  }
}"""
SCHEMAS = """query ($s: ID) { tableSchemas(sourceId: $s) { name tableCount } }"""


async def test_a_steward_lists_the_schemas_and_browses_one_a_page_at_a_time(
    gql: GraphQLClient,
) -> None:
    lake = await create_source(gql, "lake")
    for schema, name, source in [
        ("crm", "customers", None), ("crm", "contacts", None), ("crm", "leads", lake),
        ("sales", "orders", None), ("sales", "customer_orders", lake), (None, "loose", None),
    ]:  # fmt: skip
        made = await create_table(gql, name=name, schema=schema, sourceId=source)
        assert made["__typename"] == "CreateTableSuccess", made

    schemas = (await gql(SCHEMAS))["tableSchemas"]
    assert schemas == [{"name": "crm", "tableCount": 3}, {"name": "sales", "tableCount": 2}]
    in_lake = (await gql(SCHEMAS, {"s": lake}))["tableSchemas"]
    assert in_lake == [{"name": "crm", "tableCount": 1}, {"name": "sales", "tableCount": 1}]

    first = (await gql(TABLES, {"schema": "crm"}))["tables"]
    assert first["totalCount"] == 3
    assert [n["qualifiedName"] for n in first["nodes"]] == ["crm.contacts", "crm.customers"]
    rest = await gql(TABLES, {"schema": "crm", "after": first["pageInfo"]["endCursor"]})
    assert [n["qualifiedName"] for n in rest["tables"]["nodes"]] == ["crm.leads"]
    assert not rest["tables"]["pageInfo"]["hasNextPage"]

    both = (await gql(TABLES, {"schema": "sales", "s": lake}))["tables"]
    assert [n["qualifiedName"] for n in both["nodes"]] == ["sales.customer_orders"]
    searched = (await gql(TABLES, {"schema": "sales", "text": "customer"}))["tables"]
    assert searched["totalCount"] == 1
    assert [n["qualifiedName"] for n in searched["nodes"]] == ["sales.customer_orders"]
    # Exact names: a schema no table is filed under has no tables, not every table.
    assert (await gql(TABLES, {"schema": "cr"}))["tables"]["totalCount"] == 0


async def test_an_empty_schema_name_is_explained(gql: GraphQLClient) -> None:
    error = (await gql.errors(TABLES, {"schema": "  "}))[0]
    assert error["extensions"]["code"] == "VALIDATION"
    assert "schema is empty" in error["message"]
    assert error["extensions"]["field"] == "schema"
