"""The review queue: pending lineage, lowest confidence first, batch decisions."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.web.conftest import Catalog, SqlOrigin, shoot, sign_in


async def test_a_steward_batch_approves_and_rejects_from_the_review_queue(
    page: Page, catalog: Catalog
) -> None:
    await sign_in(page, "stella", at="/#/review")
    queue = page.get_by_role("table", name="Pending lineage")
    rows = queue.get_by_role("row")
    # The header, then the two INFERRED edges, lowest confidence first.
    await expect(rows).to_have_count(3)
    await expect(rows.nth(1)).to_contain_text("0.40")
    await expect(rows.nth(2)).to_contain_text("0.60")
    await shoot(page, "review-queue")

    reject = page.get_by_role("button", name="Reject selected (1)")
    await page.get_by_label("Select raw.customers to staging.orders").check()
    await expect(reject).to_be_disabled()
    await page.get_by_label("Comment or reason").fill("No such join in the ETL job")
    await reject.click()
    await expect(page.get_by_role("status")).to_have_text("Rejected 1 edge.")
    await expect(rows).to_have_count(2)

    await page.get_by_label("Select all").check()
    await page.get_by_role("button", name="Approve selected (1)").click()
    await expect(page.get_by_role("status")).to_have_text("Approved 1 edge.")
    await expect(page.get_by_text("0 pending")).to_be_visible()


async def test_an_editor_sees_the_queue_but_is_told_deciding_needs_a_steward(
    page: Page, catalog: Catalog
) -> None:
    await sign_in(page, "ed", at="/#/review")
    await expect(
        page.get_by_text("Approving or rejecting: Needs the STEWARD role or higher.")
    ).to_be_visible()
    await expect(page.get_by_label("Select all")).to_be_disabled()


async def test_a_steward_opens_a_pending_field_edge_from_the_queue_and_approves_it_there(
    page: Page, sql_origin: SqlOrigin
) -> None:
    await sign_in(page, "stella", at="/#/review?level=FIELD")
    row = (
        page.get_by_role("table", name="Pending lineage")
        .get_by_role("row")
        .filter(has_text="raw.orders.amount")
    )
    await row.get_by_role("link", name="staging.orders.amount").click()

    panel = page.get_by_role("complementary", name="Edge details")
    await expect(panel).to_contain_text("raw.orders.amount → staging.orders.amount")
    await expect(panel).to_contain_text("FIELD")
    assert "layer=column" in page.url
    await panel.get_by_role("button", name="Approve").click()
    await expect(panel.get_by_test_id("edge-review")).to_contain_text("APPROVED by stella")
