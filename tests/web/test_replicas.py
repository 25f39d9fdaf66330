"""A browser on one replica sees what another replica did: two real replicas sharing Redis,
the front end served by replica B, a connection test started through replica A."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, expect

from graph_api.settings import Settings
from tests.replicas import replicas
from tests.servers.fixtures import redis_server  # noqa: F401 (a fixture)
from tests.servers.redis import RedisInfo
from tests.servers.sql import unused_port
from tests.test_replicas import CREATE_SOURCE, TEST
from tests.web.conftest import Watch, shoot, sign_in


async def test_a_browser_on_one_replica_sees_a_connection_test_started_through_the_other(
    browser: Browser,
    settings: Settings,
    redis_server: RedisInfo,  # noqa: F811
) -> None:
    with replicas(settings, CLEW_REDIS_URL=redis_server.url) as (a, b):
        admin_a = a.sign_in()
        source = {
            "name": "orders-db",
            "type": "POSTGRESQL",
            "connection": {
                "host": "127.0.0.1",
                "port": unused_port(),
                "database": "shop",
                "username": "reader",
            },
        }
        created = a.post(CREATE_SOURCE, {"input": source}, headers=admin_a)["data"]
        source_id = created["createSource"]["source"]["id"]

        context = await browser.new_context(base_url=b.url, viewport={"width": 1400, "height": 900})
        watch = Watch(b.url)
        context.on("request", watch.request)
        page = await context.new_page()
        page.on("console", watch.console)
        page.on("pageerror", watch.page_error)
        page.on("websocket", watch.request)
        await sign_in(page, "admin", at="/#/sources")
        await page.get_by_role("button", name="Open orders-db").click()
        detail = page.get_by_label("Source orders-db")
        await expect(detail.get_by_test_id("live-status")).to_have_text("Live results: listening")

        # Someone else tests the source through replica A; B's page shows it as it arrives.
        tested = await asyncio.to_thread(a.post, TEST, {"id": source_id}, headers=admin_a)
        assert tested["data"]["testConnection"]["result"]["reason"] == "CONNECTION_REFUSED"
        live = detail.get_by_role("list", name="Live results")
        # A bound on waiting, not a timing claim.
        await expect(live).to_contain_text("CONNECTION_REFUSED", timeout=30_000)
        await shoot(page, "replicas-live-result-from-the-other-replica")
        await context.close()
    assert not watch.problems, watch.problems
