"""The column layer of the lineage explorer: fields inside their tables, a column's path."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.conftest import GraphQLClient
from tests.web.conftest import Catalog, shoot, sign_in

FIELDS = "query ($id: ID!) { table(id: $id) { fields { id name } } }"
CREATE_FIELD_LINEAGE = """mutation ($edges: [LineageEdgeInput!]!) { createFieldLineage(edges: $edges) {
  __typename ... on UserError { message } } }"""

# (upstream table.field, downstream table.field, transformation)
FIELD_EDGES = [
    ("raw.orders.amount", "staging.orders.amount", "DIRECT"),
    ("raw.orders.id", "staging.orders.order_id", "DIRECT"),
    ("staging.orders.amount", "mart.daily_sales.revenue", "AGGREGATION"),
]


async def field_lineage(gql: GraphQLClient, catalog: Catalog) -> dict[str, str]:
    ids: dict[str, str] = {}
    for table in ("raw.orders", "staging.orders", "mart.daily_sales"):
        fields = (await gql(FIELDS, {"id": catalog.tables[table]}))["table"]["fields"]
        ids.update({f"{table}.{f['name']}": f["id"] for f in fields})
    edges = [
        {"upstreamId": ids[up], "downstreamId": ids[down], "transformationType": how}
        for up, down, how in FIELD_EDGES
    ]
    result = await gql(CREATE_FIELD_LINEAGE, {"edges": edges})
    assert result["createFieldLineage"]["__typename"] == "LineageChangeSuccess", result
    return ids


def field(page: Page, label: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id(f"field-{label}").get_by_role("button")


async def test_a_steward_switches_to_columns_and_follows_one_columns_path(
    page: Page, catalog: Catalog, gql: GraphQLClient
) -> None:
    await field_lineage(gql, catalog)
    root = catalog.tables["staging.orders"]
    await sign_in(page, "stella", at=f"/#/lineage/{root}?dir=BOTH&depth=2")
    await expect(page.get_by_test_id("node-mart.daily_sales")).to_be_visible()
    await expect(page.get_by_test_id("field-staging.orders.amount")).to_have_count(0)

    await page.get_by_label("Layer").select_option("column")
    columns = page.get_by_role("list", name="Columns of staging.orders")
    await expect(columns).to_contain_text("amount")
    await expect(columns).to_contain_text("order_id")
    await expect(page.get_by_role("list", name="Columns of mart.daily_sales")).to_contain_text(
        "revenue"
    )
    # Field edges are rows in the edge table too, each with its provenance in words.
    await page.get_by_text("Edges as a table").click()
    rows = page.get_by_role("table", name="Lineage edges").get_by_role("row")
    await expect(rows.filter(has_text="staging.orders.amount")).to_have_count(2)
    await expect(
        rows.filter(has_text="raw.orders.amount").filter(has_text="staging.orders.amount")
    ).to_contain_text("MANUAL 0.90")

    await field(page, "staging.orders.amount").click()
    for on_path in ("raw.orders.amount", "staging.orders.amount", "mart.daily_sales.revenue"):
        await expect(field(page, on_path)).to_have_attribute("aria-pressed", "true")
    await expect(field(page, "raw.orders.id")).to_have_attribute("aria-pressed", "false")
    await expect(field(page, "staging.orders.order_id")).to_have_attribute("aria-pressed", "false")
    assert "layer=column" in page.url and "column=" in page.url
    await shoot(page, "lineage-columns")

    # The link reopens the column layer with the same path picked.
    fresh = await page.context.new_page()
    await sign_in(fresh, "stella", at=page.url)
    await expect(field(fresh, "mart.daily_sales.revenue")).to_have_attribute("aria-pressed", "true")
    await fresh.close()
    # Back to tables: the fields leave the nodes.
    await page.get_by_label("Layer").select_option("table")
    await expect(page.get_by_test_id("field-staging.orders.amount")).to_have_count(0)
