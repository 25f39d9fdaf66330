"""An accessibility audit of every screen: axe-core (from npm, pinned by package-lock, loaded
from node_modules into the page, never from a CDN) run inside Chromium against WCAG 2.1 A
and AA; a test fails on any violation and names each one with the elements it found."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from graph_api.settings import REPO_ROOT
from tests.web.conftest import Catalog, SqlOrigin, shoot, sign_in

AXE = REPO_ROOT / "web" / "app" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def audit(page: Page) -> list[str]:
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run `make install` (npm ci in web/app).")
    await page.add_script_tag(path=str(AXE))
    violations = await page.evaluate(
        """async (tags) => (await axe.run(document, { runOnly: { type: "tag", values: tags } }))
             .violations.map((v) => `${v.id} (${v.impact}): ${v.help}: ` +
               v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(", "))""",
        RULES,
    )
    return list(violations)


SCREENS = {
    "catalog": ("vera", "/#/catalog", "Tables"),
    "search": ("vera", "/#/catalog?q=orders", "Search results"),
    "table": ("ed", "/#/table/{raw.orders}", "Fields"),
    "lineage": ("stella", "/#/lineage/{staging.orders}?dir=BOTH&depth=1", "Expand mart.daily_sales downstream"),
    "lineage-columns": (
        "stella", "/#/lineage/{staging.orders}?dir=BOTH&depth=2&layer=column", "Table ml.churn_features",
    ),
    "lineage-impact": (
        "stella", "/#/lineage/{raw.orders}?dir=DOWNSTREAM&depth=3&impact=DROP", "Expand staging.orders upstream",
    ),
    "review": ("stella", "/#/review", "Pending lineage"),
    "lineage-edge-origins": (
        "vera", "/#/lineage/{staging.orders}?dir=UPSTREAM&depth=1&edge={raw.customers>staging.orders}",
        "Origins and evidence",
    ),
    "sources": ("ada", "/#/sources", "Sources"),
    "import": ("ada", "/#/import", "Import"),
}  # fmt: skip


@pytest.mark.parametrize("screen", list(SCREENS))
async def test_every_screen_passes_an_accessibility_audit(
    page: Page, catalog: Catalog, screen: str
) -> None:
    user, at, landmark = SCREENS[screen]
    for name, table_id in catalog.tables.items():
        at = at.replace("{" + name + "}", table_id)
    for (up, down), edge_id in catalog.edges.items():
        at = at.replace("{" + f"{up}>{down}" + "}", edge_id)
    await sign_in(page, user, at=at)
    await expect(page.get_by_label(landmark).first).to_be_visible()
    await page.wait_for_load_state("networkidle")
    violations = await audit(page)
    if screen == "lineage-columns":
        await shoot(page, "accessibility-audit")
    assert violations == [], "\n".join(violations)


async def test_review_by_origin_and_its_confirmation_pass_an_accessibility_audit(
    page: Page, sql_origin: SqlOrigin
) -> None:
    await sign_in(page, "stella", at=f"/#/review?origin={sql_origin.id}")
    await expect(page.get_by_label("Origins and evidence").first).to_be_visible()
    await page.wait_for_load_state("networkidle")
    violations = await audit(page)
    assert violations == [], "\n".join(violations)
    await page.get_by_role(
        "button", name=f"Reject all {sql_origin.pending} from this origin"
    ).click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    violations = await audit(page)
    assert violations == [], "\n".join(violations)


async def test_the_sign_in_screen_passes_an_accessibility_audit(page: Page) -> None:
    await page.goto("/")
    await expect(page.get_by_label("Username")).to_be_visible()
    assert await audit(page) == []
