"""Exploring lineage: expanding node by node, reviewing an edge, impact analysis, links."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.conftest import GraphQLClient
from tests.web.conftest import Catalog, shoot, sign_in


def node(page: Page, label: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id(f"node-{label}")


async def test_a_steward_opens_lineage_and_expands_it_node_by_node(
    page: Page, catalog: Catalog
) -> None:
    await sign_in(page, "stella", at=f"/#/table/{catalog.tables['staging.orders']}")
    await page.get_by_role("link", name="Open lineage").click()
    await expect(node(page, "staging.orders")).to_contain_text("root")
    for label in ("raw.orders", "raw.customers", "mart.daily_sales"):
        await expect(node(page, label)).to_be_visible()
    # Depth 1: the mart's own downstream tables are not loaded, and it says so.
    await expect(node(page, "bi.revenue_dashboard")).to_have_count(0)
    await expect(node(page, "raw.orders").get_by_role("button")).to_have_count(0)
    # Where ReactFlow places the node in the graph's own coordinates (the view may pan and zoom).
    placed = page.locator(".react-flow__node", has=node(page, "raw.orders"))
    before = await placed.evaluate("n => n.style.transform")
    assert before.startswith("translate("), before

    await page.get_by_role("button", name="Expand mart.daily_sales downstream").click()
    await expect(node(page, "bi.revenue_dashboard")).to_be_visible()
    await expect(node(page, "ml.churn_features")).to_be_visible()
    await expect(
        page.get_by_role("button", name="Expand mart.daily_sales downstream")
    ).to_have_count(0)
    # The rest of the picture stays where it was.
    assert await placed.evaluate("n => n.style.transform") == before
    # Provenance by line style and by words.
    edges = page.get_by_role("table", name="Lineage edges")
    await page.get_by_text("Edges as a table").click()
    await expect(edges.get_by_role("row").filter(has_text="raw.customers")).to_contain_text(
        "INFERRED 0.40 · pending"
    )
    await expect(edges.get_by_role("row").filter(has_text="bi.revenue_dashboard")).to_contain_text(
        "INFERRED 0.60"
    )
    await expect(edges.get_by_role("row").filter(has_text="ml.churn_features")).to_contain_text(
        "MANUAL 0.80"
    )
    await expect(page.get_by_label("Legend")).to_contain_text("dashed line")
    await shoot(page, "lineage-expanded")

    # The link reopens the same picture, expansion included.
    assert "open=" in page.url
    link = page.url
    # A new tab signs in (the token is kept per tab) and lands on the linked picture.
    fresh = await page.context.new_page()
    await sign_in(fresh, "stella", at=link)
    await expect(node(fresh, "ml.churn_features")).to_be_visible()
    await fresh.close()


async def test_a_steward_approves_an_inferred_edge_from_its_panel(
    page: Page, catalog: Catalog
) -> None:
    edge = catalog.edges[("raw.customers", "staging.orders")]
    root = catalog.tables["staging.orders"]
    await sign_in(page, "stella", at=f"/#/lineage/{root}?dir=BOTH&depth=1&edge={edge}")
    await expect(node(page, "raw.customers")).to_be_visible()
    panel = page.get_by_role("complementary", name="Edge details")
    await expect(panel).to_contain_text("raw.customers → staging.orders")
    await expect(panel).to_contain_text("JOIN")
    await expect(panel).to_contain_text("raw.customers feeds staging.orders")
    await expect(panel.get_by_test_id("edge-provenance")).to_have_text("INFERRED")
    await shoot(page, "lineage-edge-panel")
    await panel.get_by_label("Comment (optional)").fill("Checked against the ETL job")
    await panel.get_by_role("button", name="Approve").click()
    await expect(panel.get_by_test_id("edge-provenance")).to_have_text("APPROVED")
    await expect(panel.get_by_test_id("edge-review")).to_contain_text("APPROVED by stella")
    await expect(panel).to_contain_text("Checked against the ETL job")
    await page.get_by_text("Edges as a table").click()
    row = (
        page.get_by_role("table", name="Lineage edges")
        .get_by_role("row")
        .filter(has_text="raw.customers")
    )
    await expect(row).to_contain_text("✓ APPROVED")
    await expect(row).not_to_contain_text("pending")


async def test_a_viewer_is_told_approving_needs_a_steward(page: Page, catalog: Catalog) -> None:
    edge = catalog.edges[("raw.customers", "staging.orders")]
    root = catalog.tables["staging.orders"]
    await sign_in(page, "vera", at=f"/#/lineage/{root}?edge={edge}")
    panel = page.get_by_role("complementary", name="Edge details")
    await expect(panel).to_contain_text("Needs the STEWARD role or higher.")
    await expect(panel.get_by_role("button", name="Approve")).to_have_count(0)


async def test_a_steward_runs_an_impact_analysis_and_sees_breaking_and_review_nodes(
    page: Page, catalog: Catalog
) -> None:
    root = catalog.tables["raw.orders"]
    await sign_in(page, "stella", at=f"/#/lineage/{root}?dir=DOWNSTREAM&depth=3")
    await expect(node(page, "ml.churn_features")).to_be_visible()
    await page.get_by_label("Impact of").select_option("DROP")
    await expect(node(page, "mart.daily_sales")).to_contain_text("BREAKING")
    impact = page.get_by_role("complementary", name="Impact")
    await expect(impact).to_contain_text("4 breaking, 0 to review")
    await page.get_by_label("Impact of").select_option("TYPE_CHANGE")
    await expect(node(page, "staging.orders")).to_contain_text("REVIEW")
    await expect(impact).to_contain_text(re.compile(r"\d+ to review"))
    assert "impact=TYPE_CHANGE" in page.url
    await shoot(page, "lineage-impact")


async def test_a_steward_finds_a_table_in_a_large_picture(page: Page, catalog: Catalog) -> None:
    root = catalog.tables["raw.orders"]
    await sign_in(page, "stella", at=f"/#/lineage/{root}?dir=DOWNSTREAM&depth=3")
    await page.get_by_label("Find in graph").fill("churn")
    await page.get_by_role("button", name="Find").click()
    await expect(node(page, "ml.churn_features")).to_have_class(re.compile("matched"))
    await expect(node(page, "mart.daily_sales")).not_to_have_class(re.compile("matched"))
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Export CSV").click()
    csv = (await (await download.value).path()).read_text()
    assert '"mart.daily_sales","ml.churn_features","MANUAL"' in csv


async def test_a_steward_shows_rejected_edges_only_when_asked(
    page: Page, catalog: Catalog, gql: GraphQLClient
) -> None:
    edge = catalog.edges[("raw.customers", "staging.orders")]
    rejected = await gql(
        'mutation ($ids: [ID!]!) { rejectLineage(ids: $ids, reason: "wrong join") { __typename } }',
        {"ids": [edge]},
    )
    assert rejected["rejectLineage"]["__typename"] == "LineageChangeSuccess"
    root = catalog.tables["staging.orders"]
    await sign_in(page, "stella", at=f"/#/lineage/{root}")
    await expect(node(page, "raw.orders")).to_be_visible()
    await expect(node(page, "raw.customers")).to_have_count(0)
    await page.get_by_label("Show rejected edges").check()
    await expect(node(page, "raw.customers")).to_be_visible()
    await page.get_by_text("Edges as a table").click()
    row = (
        page.get_by_role("table", name="Lineage edges")
        .get_by_role("row")
        .filter(has_text="raw.customers")
    )
    await expect(row).to_contain_text("✗ REJECTED")
    assert "rejected=1" in page.url
