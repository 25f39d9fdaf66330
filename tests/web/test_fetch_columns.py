"""Fetch columns on the table page: what changed in the database, shown before it is applied."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect

from tests.conftest import GraphQLClient
from tests.servers import fixtures as servers
from tests.servers.sql import ServerInfo, run_as_postgres_superuser
from tests.web.conftest import shoot, sign_in

postgres = servers.postgres
SERVERS_DIR = servers.SERVERS_DIR

CREATE_SOURCE = """mutation ($input: CreateSourceInput!) { createSource(input: $input) {
  __typename ... on SourceSuccess { source { id } } ... on UserError { message } } }"""
INTROSPECT = """query ($s: ID!) { introspectTable(sourceId: $s, tableName: "web_invoices",
  schemaName: "public") { columns { name dataType nullable primaryKey ordinalPosition } } }"""
APPLY = """mutation ($s: ID!, $input: IntrospectedTableInput!) {
  createTableFromIntrospection(sourceId: $s, input: $input) {
    __typename ... on ApplyIntrospectionSuccess { table { id } } ... on UserError { message } } }"""


def run_sql(info: ServerInfo, *statements: str) -> None:
    run_as_postgres_superuser(SERVERS_DIR, info.port, *statements)


@pytest.fixture
def invoices(postgres: ServerInfo) -> Iterator[ServerInfo]:
    run_sql(
        postgres,
        "DROP TABLE IF EXISTS web_invoices",
        "CREATE TABLE web_invoices (id integer PRIMARY KEY, total integer, note text)",
        f"GRANT SELECT ON web_invoices TO {postgres.user}",
    )
    yield postgres
    run_sql(postgres, "DROP TABLE IF EXISTS web_invoices")


async def test_an_editor_fetches_columns_and_sees_what_changed_before_applying(
    page: Page, users: dict[str, str], gql: GraphQLClient, invoices: ServerInfo
) -> None:
    connection = {"host": invoices.host, "port": invoices.port, "database": invoices.database,
                  "username": invoices.user, "password": invoices.password}  # fmt: skip
    created = await gql(
        CREATE_SOURCE,
        {"input": {"name": "billing", "type": "POSTGRESQL", "connection": connection}},
    )
    source_id = created["createSource"]["source"]["id"]
    columns = (await gql(INTROSPECT, {"s": source_id}))["introspectTable"]["columns"]
    fields = [{**c, "description": "Kept: written by a person"} for c in columns]
    saved = await gql(
        APPLY,
        {"s": source_id, "input": {"name": "web_invoices", "schema": "public", "fields": fields}},
    )
    table_id = saved["createTableFromIntrospection"]["table"]["id"]
    # The database moves on: a column added, one dropped, one retyped.
    run_sql(
        invoices,
        "ALTER TABLE web_invoices ADD COLUMN currency char(3)",
        "ALTER TABLE web_invoices DROP COLUMN note",
        "ALTER TABLE web_invoices ALTER COLUMN total TYPE numeric(12,2)",
    )

    await sign_in(page, "ed", at=f"/#/table/{table_id}")
    panel = page.get_by_role("region", name="Fetch columns")
    await panel.get_by_role("button", name="Fetch columns").click()
    await expect(panel.get_by_test_id("column-summary")).to_have_text(
        "1 added, 1 removed, 1 changed."
    )
    diff = panel.get_by_role("table", name="Column differences").get_by_role("row")
    await expect(diff.filter(has_text="currency")).to_contain_text("+ added")
    await expect(diff.filter(has_text="note")).to_contain_text("− removed")
    await expect(diff.filter(has_text="total")).to_contain_text("~ changed")
    await expect(diff.filter(has_text="total")).to_contain_text("type: integer")
    await expect(diff.filter(has_text="total")).to_contain_text("type: numeric(12,2)")
    # Nothing is applied yet: the catalog still has the dropped column.
    fields_table = page.get_by_role("table", name="Fields")
    await expect(fields_table).to_contain_text("note")
    await shoot(page, "table-fetch-columns")

    await panel.get_by_role("button", name="Apply these columns").click()
    await expect(panel).to_contain_text("removed note")
    await expect(fields_table).not_to_contain_text("note")
    await expect(fields_table.get_by_role("row").filter(has_text="currency")).to_be_visible()
    await expect(fields_table.get_by_role("row").filter(has_text="total")).to_contain_text(
        "numeric(12,2)"
    )
    # What a person wrote survives the refresh.
    await expect(fields_table.get_by_role("row").filter(has_text="total")).to_contain_text(
        "Kept: written by a person"
    )
    await panel.get_by_role("button", name="Fetch columns").click()
    await expect(panel.get_by_test_id("column-summary")).to_have_text(
        "The catalog matches the database."
    )


async def test_a_viewer_is_told_fetching_columns_needs_an_editor(
    page: Page, users: dict[str, str], gql: GraphQLClient, invoices: ServerInfo
) -> None:
    connection = {"host": invoices.host, "port": invoices.port, "database": invoices.database,
                  "username": invoices.user, "password": invoices.password}  # fmt: skip
    created = await gql(
        CREATE_SOURCE,
        {"input": {"name": "billing", "type": "POSTGRESQL", "connection": connection}},
    )
    source_id = created["createSource"]["source"]["id"]
    saved = await gql(
        APPLY, {"s": source_id, "input": {"name": "web_invoices", "schema": "public"}}
    )
    table_id = saved["createTableFromIntrospection"]["table"]["id"]
    await sign_in(page, "vera", at=f"/#/table/{table_id}")
    button = page.get_by_role("region", name="Fetch columns").get_by_role("button")
    await expect(button).to_be_disabled()
    await expect(button).to_have_attribute("title", "Needs the EDITOR role or higher.")
