"""Finding a table in the catalog and reading its page."""

from __future__ import annotations

import asyncio

from playwright.async_api import Page, Route, expect

from tests.web.conftest import Catalog, shoot, sign_in


async def test_a_steward_finds_a_table_by_searching_and_reads_its_fields_and_history(
    page: Page, catalog: Catalog
) -> None:
    await sign_in(page, "stella")
    await page.get_by_label("Search tables and fields").fill("orders")
    await page.get_by_role("button", name="Search").click()
    results = page.get_by_role("list", name="Search results")
    await expect(results).to_contain_text("raw.orders")
    await expect(results).to_contain_text("staging.orders")
    await shoot(page, "catalog-search")

    await results.get_by_role("link", name="raw.orders", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("raw.orders")
    fields = page.get_by_role("table", name="Fields")
    amount = fields.get_by_role("row").filter(has_text="amount")
    await expect(amount).to_contain_text("numeric(10,2)")
    await expect(amount).to_contain_text("Order total in euros")
    await expect(amount).to_contain_text("money")
    key = fields.get_by_role("row").filter(has_text="customer_id")
    await expect(key).to_contain_text("NOT NULL")
    await expect(fields.get_by_role("row").nth(1)).to_contain_text("PK")
    await expect(page.get_by_role("list", name="History")).to_contain_text("CREATE")
    await shoot(page, "table-page")


async def test_an_editor_edits_a_field_description_and_sees_it_in_the_history(
    page: Page, catalog: Catalog
) -> None:
    await sign_in(page, "ed", at=f"/#/table/{catalog.tables['raw.customers']}")
    await page.get_by_role("button", name="Edit field email").click()
    form = page.get_by_role("form", name="Edit email")
    await form.get_by_label("Description").fill("Where receipts go")
    await form.get_by_role("button", name="Save").click()
    row = page.get_by_role("table", name="Fields").get_by_role("row").filter(has_text="email")
    await expect(row).to_contain_text("Where receipts go")
    await expect(page.get_by_role("list", name="History")).to_contain_text(
        "UPDATE field email by ed"
    )


async def test_a_viewer_sees_why_editing_is_not_offered(page: Page, catalog: Catalog) -> None:
    await sign_in(page, "vera", at=f"/#/table/{catalog.tables['raw.customers']}")
    edit = page.get_by_role("button", name="Edit field email")
    await expect(edit).to_be_disabled()
    await expect(edit).to_have_attribute("title", "Needs the EDITOR role or higher.")


async def test_browsing_the_catalog_filters_by_kind_and_tag(page: Page, catalog: Catalog) -> None:
    await sign_in(page, "vera")
    tables = page.get_by_role("table", name="Tables")
    await expect(tables).to_contain_text("bi.revenue_dashboard")
    await page.get_by_label("Tag", exact=True).fill("pii")
    await expect(tables.get_by_role("row")).to_have_count(2)
    await expect(tables).to_contain_text("raw.customers")


async def test_a_steward_browses_the_catalog_by_schema(page: Page, catalog: Catalog) -> None:
    await sign_in(page, "stella")
    tables = page.get_by_role("table", name="Tables")
    await expect(tables.get_by_role("row")).to_have_count(len(catalog.tables) + 1)
    await page.get_by_label("Schema").select_option(label="raw (2 tables)")
    await expect(tables.get_by_role("row")).to_have_count(3)
    await expect(tables).to_contain_text("raw.orders")
    await expect(tables).to_contain_text("raw.customers")
    await expect(page.get_by_text("2 tables", exact=True)).to_be_visible()
    assert "schema=raw" in page.url
    await shoot(page, "catalog-by-schema")
    # A schema in a row is a link to that schema's tables.
    await page.get_by_label("Schema").select_option("")
    await tables.get_by_role("link", name="mart", exact=True).click()
    await expect(tables.get_by_role("row")).to_have_count(2)
    await expect(tables).to_contain_text("mart.daily_sales")


async def test_a_slow_answer_to_an_earlier_search_never_replaces_the_newer_results(
    page: Page, catalog: Catalog
) -> None:
    held = asyncio.Event()

    async def delay_the_first_search(route: Route) -> None:
        body = route.request.post_data_json or {}
        if (body.get("variables") or {}).get("q") == "orders" and not held.is_set():
            held.set()
            await asyncio.sleep(2)
        await route.continue_()

    await sign_in(page, "stella")
    await page.route("**/graphql", delay_the_first_search)
    search = page.get_by_label("Search tables and fields")
    await search.fill("orders")
    await page.get_by_role("button", name="Search").click()
    await asyncio.wait_for(held.wait(), 10)
    # The steward searches again before the first answer arrives.
    await search.fill("email")
    await page.get_by_role("button", name="Search").click()
    results = page.get_by_role("list", name="Search results")
    await expect(results).to_contain_text("raw.customers")
    await page.wait_for_timeout(2500)  # past the held answer's arrival
    await expect(results).to_contain_text("raw.customers")
    await expect(results).not_to_contain_text("raw.orders")
