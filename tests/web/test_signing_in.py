"""Signing in and out of the web front end."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.conftest import TEST_PASSWORD
from tests.web.conftest import shoot, sign_in


async def test_a_steward_signs_in_sees_their_name_and_role_and_signs_out(
    page: Page, users: dict[str, str]
) -> None:
    await page.goto("/")
    await shoot(page, "sign-in")
    await page.get_by_label("Username").fill("stella")
    await page.get_by_label("Password").fill("not-the-password")
    await page.get_by_role("button", name="Sign in").click()
    # The API's own words, and what was typed is kept.
    await expect(page.get_by_role("alert")).to_contain_text("password")
    await expect(page.get_by_label("Username")).to_have_value("stella")

    await page.get_by_label("Password").fill(TEST_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    who = page.get_by_label("Signed in as")
    await expect(who).to_contain_text("stella")
    await expect(who).to_contain_text("STEWARD")
    # The token is kept for the tab: a reload stays signed in.
    await page.reload()
    await expect(page.get_by_label("Signed in as")).to_contain_text("stella")

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("You signed out")


# The API answers a refused token with 401 (GraphQL over HTTP), which the page then explains.
@pytest.mark.answers(401)
async def test_an_expired_sign_in_says_so_and_offers_to_sign_in_again(
    page: Page, users: dict[str, str]
) -> None:
    await sign_in(page, "vera")
    await page.evaluate("sessionStorage.setItem('clew.token', 'expired-or-forged')")
    await page.goto("/#/catalog?q=orders")
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("Sign in again")


async def test_graphiql_still_answers_at_graphql(page: Page) -> None:
    await page.goto("/graphql")
    await expect(page.get_by_test_id("graphiql-container")).to_be_visible()
