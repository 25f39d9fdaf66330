"""Importing a workbook: preview with problems at their row, fix, apply with progress."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.transfer.conftest import workbook
from tests.web.conftest import shoot, sign_in

TABLES = ["schema", "name", "kind", "description"]


async def test_an_editor_imports_a_workbook_with_a_mistake_fixes_it_and_applies_it(
    page: Page, users: dict[str, str], tmp_path: Path
) -> None:
    wrong = workbook(tmp_path / "catalog.xlsx", {"tables": [
        TABLES, ["crm", "customers", "TABLE", "People"], ["crm", "orders", "TABEL", "Orders"],
    ]})  # fmt: skip
    await sign_in(page, "ed", at="/#/import")
    form = page.get_by_role("form", name="Import a file")
    await form.get_by_label("File").set_input_files(str(wrong))
    await form.get_by_role("button", name="Preview").click()
    report = page.get_by_role("region", name="Preview report").or_(
        page.get_by_label("Preview report")
    )
    problems = page.get_by_role("table", name="Problems")
    error = problems.get_by_role("row").filter(has_text="ERROR")
    await expect(error).to_contain_text("tables")
    await expect(error).to_contain_text("3")
    await expect(error).to_contain_text("kind")
    await expect(report).to_contain_text("1 error")
    await expect(form.get_by_role("button", name="Apply")).to_be_disabled()
    await shoot(page, "import-preview-problem")

    fixed = workbook(tmp_path / "catalog-fixed.xlsx", {"tables": [
        TABLES, ["crm", "customers", "TABLE", "People"], ["crm", "orders", "TABLE", "Orders"],
    ]})  # fmt: skip
    await form.get_by_label("File").set_input_files(str(fixed))
    await form.get_by_role("button", name="Preview").click()
    await expect(page.get_by_label("Preview report")).to_contain_text("0 errors")
    await form.get_by_role("button", name="Apply").click()
    progress = page.get_by_label("Progress", exact=True)
    await expect(progress).to_contain_text("Import succeeded")
    await expect(progress).to_contain_text("2 of 2 rows, 2 written")
    await expect(page.get_by_label("Import report")).to_contain_text("APPLIED")
    await shoot(page, "import-applied")

    await page.get_by_role("link", name="Catalog").click()
    await expect(page.get_by_role("table", name="Tables")).to_contain_text("crm.orders")


async def test_a_viewer_downloads_the_template_but_cannot_import(
    page: Page, users: dict[str, str]
) -> None:
    await sign_in(page, "vera", at="/#/import")
    await expect(page.get_by_text("Importing: Needs the EDITOR role or higher.")).to_be_visible()
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Download the template (.xlsx)").click()
    assert (await download.value).suggested_filename.endswith(".xlsx")
    async with page.expect_download() as export:
        await page.get_by_role("button", name="Export (.json)").click()
    assert "clew-interchange" in (await (await export.value).path()).read_text()
