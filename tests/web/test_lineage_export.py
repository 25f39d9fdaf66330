"""Exporting the lineage picture as a PNG, made in the browser (no server, no other host)."""

from __future__ import annotations

import os
import shutil
import struct

from playwright.async_api import Page, expect

from tests.web.conftest import DOCS_SCREENSHOTS, SCREENSHOTS, Catalog, sign_in


async def test_a_steward_exports_the_lineage_picture_as_a_png(page: Page, catalog: Catalog) -> None:
    root = catalog.tables["raw.orders"]
    await sign_in(page, "stella", at=f"/#/lineage/{root}?dir=DOWNSTREAM&depth=3")
    await expect(page.get_by_test_id("node-ml.churn_features")).to_be_visible()
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Export PNG").click()
    saved = await download.value
    assert saved.suggested_filename == "lineage-raw.orders.png"
    png = (await saved.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    # Five tables in four columns: a wide picture, all of it, not just what the canvas shows.
    assert width > height > 100
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "lineage-export.png").write_bytes(png)
    if os.environ.get("CLEW_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(SCREENSHOTS / "lineage-export.png", DOCS_SCREENSHOTS / "lineage-export.png")
