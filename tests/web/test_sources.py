"""Sources: registering a database and watching its connection test arrive live."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, Response, expect

from graph_api.settings import REPO_ROOT
from tests.servers.sql import ServerInfo, ServerSetupError, start_postgres, stop_postgres
from tests.web.conftest import shoot, sign_in

SERVERS_DIR = Path(os.environ.get("CLEW_TEST_SERVERS_DIR", REPO_ROOT / ".clew/test/servers"))
PORT = int(os.environ.get("CLEW_TEST_POSTGRES_PORT", "25432"))


@pytest.fixture(scope="module")
def postgres() -> Iterator[ServerInfo]:
    try:
        info = start_postgres(SERVERS_DIR, port=PORT)
    except ServerSetupError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield info
    if not info.reused and os.environ.get("CLEW_TEST_KEEP_SERVERS") != "1":
        stop_postgres(SERVERS_DIR)


async def test_an_admin_registers_a_postgresql_source_and_watches_its_connection_test_arrive(
    page: Page, users: dict[str, str], postgres: ServerInfo
) -> None:
    await sign_in(page, "ada", at="/#/sources")
    form = page.get_by_role("form", name="Register a source")
    await form.get_by_label("Type").select_option("POSTGRESQL")
    await form.get_by_label("Name", exact=True).fill("shop")
    await form.get_by_label("Host").fill(postgres.host)
    await form.get_by_label("Port").fill(str(postgres.port))
    await form.get_by_label("Database").fill(postgres.database)
    await form.get_by_label("Username").fill(postgres.user)
    await form.get_by_label("Password", exact=True).fill(postgres.password)
    await form.get_by_role("button", name="Save source").click()

    detail = page.get_by_label("Source shop")
    await expect(detail).to_contain_text("(password stored)")
    await expect(detail).not_to_contain_text(postgres.password)
    # The result comes through the subscription, not the mutation's answer.
    await expect(detail.get_by_test_id("live-status")).to_have_text("Live results: listening")
    await detail.get_by_role("button", name="Test connection").click()
    live = detail.get_by_role("list", name="Live results")
    # A bound on waiting, not a timing claim: the first test of a fresh server may be slow.
    await expect(live).to_contain_text("✓ Connected", timeout=30_000)
    await expect(live).to_contain_text("PostgreSQL")
    await expect(page.get_by_role("table", name="Sources")).to_contain_text("✓ ok")
    await shoot(page, "sources-connection-test")


async def test_a_failed_connection_test_says_what_to_check(
    page: Page, users: dict[str, str], postgres: ServerInfo
) -> None:
    await sign_in(page, "ada", at="/#/sources")
    form = page.get_by_role("form", name="Register a source")
    await form.get_by_label("Name", exact=True).fill("wrong-password")
    await form.get_by_label("Port").fill(str(postgres.port))
    await form.get_by_label("Database").fill(postgres.database)
    await form.get_by_label("Username").fill(postgres.user)
    await form.get_by_label("Password", exact=True).fill("Wr0ng-pw-5e1f")
    await form.get_by_role("button", name="Save source").click()
    detail = page.get_by_label("Source wrong-password")
    await expect(detail.get_by_test_id("live-status")).to_have_text("Live results: listening")
    await detail.get_by_role("button", name="Test connection").click()
    await expect(detail.get_by_role("list", name="Live results")).to_contain_text(
        "✗ AUTHENTICATION_FAILED", timeout=30_000
    )


async def test_an_editor_is_told_registering_sources_needs_an_admin(
    page: Page, users: dict[str, str]
) -> None:
    await sign_in(page, "ed", at="/#/sources")
    await expect(
        page.get_by_text("Registering sources: Needs the ADMIN role or higher.")
    ).to_be_visible()


async def test_an_admin_fixes_a_sources_settings_and_password_without_ever_seeing_it(
    page: Page, users: dict[str, str], postgres: ServerInfo
) -> None:
    answers: list[str] = []

    async def keep(response: Response) -> None:
        if "/graphql" in response.url and response.request.method == "POST":
            answers.append(await response.text())

    page.on("response", keep)
    await sign_in(page, "ada", at="/#/sources")
    form = page.get_by_role("form", name="Register a source")
    await form.get_by_label("Name", exact=True).fill("warehouse")
    await form.get_by_label("Port").fill(str(postgres.port))
    await form.get_by_label("Database").fill("no_such_db")
    await form.get_by_label("Username").fill(postgres.user)
    await form.get_by_label("Password", exact=True).fill("Wr0ng-pw-5e1f")
    await form.get_by_role("button", name="Save source").click()
    detail = page.get_by_label("Source warehouse")
    await expect(detail.get_by_test_id("live-status")).to_have_text("Live results: listening")

    await detail.get_by_role("button", name="Edit settings").click()
    edit = detail.get_by_role("form", name="Edit warehouse")
    # What is stored comes back, except the secret: its box is empty and says one is kept.
    await expect(edit.get_by_label("Database")).to_have_value("no_such_db")
    await expect(edit.get_by_label("Password", exact=True)).to_have_value("")
    await expect(edit).to_contain_text("A value is stored (never shown).")
    await edit.get_by_label("Database").fill(postgres.database)
    await edit.get_by_label("Description").fill("The shop's PostgreSQL")
    await edit.get_by_label("Password", exact=True).fill(postgres.password)
    await shoot(page, "sources-edit")
    await edit.get_by_role("button", name="Save changes").click()
    await expect(edit).to_have_count(0)
    await expect(detail.get_by_test_id("connection-summary")).to_contain_text(postgres.database)
    await expect(detail).to_contain_text("The shop's PostgreSQL")

    await detail.get_by_role("button", name="Test connection").click()
    await expect(detail.get_by_role("list", name="Live results")).to_contain_text(
        "✓ Connected", timeout=30_000
    )
    # Editing again without typing a password keeps the stored one.
    await detail.get_by_role("button", name="Edit settings").click()
    edit = detail.get_by_role("form", name="Edit warehouse")
    await expect(edit.get_by_label("Password", exact=True)).to_have_value("")
    await edit.get_by_label("Description").fill("Orders and customers")
    await edit.get_by_role("button", name="Save changes").click()
    await expect(detail).to_contain_text("Orders and customers")
    await detail.get_by_role("button", name="Test connection").click()
    await expect(
        detail.get_by_role("list", name="Live results").get_by_role("listitem")
    ).to_have_count(2, timeout=30_000)
    await expect(
        detail.get_by_role("list", name="Live results").get_by_role("listitem").first
    ).to_contain_text("✓ Connected")
    assert answers and all(postgres.password not in a and "Wr0ng-pw-5e1f" not in a for a in answers)
