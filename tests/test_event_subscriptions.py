"""A subscriber is listening from the moment it subscribes: an event published right after,
before the subscriber's first await, reaches it (in-process and through Redis)."""

from __future__ import annotations

import asyncio

from graph_api.events import CATALOG_TOPIC, Broker, CatalogEvent, RedisBroker
from graph_api.schema import schema
from tests.conftest import GraphQLClient
from tests.servers.fixtures import redis_server  # noqa: F401 (a fixture)
from tests.servers.redis import RedisInfo

EVENT = CatalogEvent("TABLE", "t1", "CREATE", "ed")


async def test_an_event_published_right_after_subscribing_is_not_lost() -> None:
    broker = Broker()
    events = broker.subscribe(CATALOG_TOPIC)
    broker.publish(CATALOG_TOPIC, EVENT)
    assert await asyncio.wait_for(anext(events), 5) == EVENT
    await events.aclose()
    assert broker.subscriber_count(CATALOG_TOPIC) == 0


async def test_a_subscriber_that_goes_away_leaves_the_topic() -> None:
    broker = Broker()
    events = broker.subscribe(CATALOG_TOPIC)
    waiting = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert broker.subscriber_count(CATALOG_TOPIC) == 0


async def test_through_redis_too(redis_server: RedisInfo) -> None:  # noqa: F811
    broker = RedisBroker(redis_server.url)
    await broker.start()
    try:
        for _ in range(250):  # a bound on waiting for the listener, not a timing claim
            if broker.shared:
                break
            await asyncio.sleep(0.02)
        events = broker.subscribe(CATALOG_TOPIC)
        broker.publish(CATALOG_TOPIC, EVENT)
        assert await asyncio.wait_for(anext(events), 10) == EVENT
        await events.aclose()
    finally:
        await broker.close()


async def test_a_change_committed_as_the_subscription_starts_reaches_it(
    gql: GraphQLClient,
) -> None:
    stream = await schema.subscribe(
        "subscription { catalogChanges { entityType action actor } }",
        context_value=gql.context("stella"),
    )
    first = asyncio.ensure_future(anext(stream))  # type: ignore[arg-type]
    # The subscription's resolver joins the broker before it first waits; the change is
    # published the moment it has started, however soon that is.
    for _ in range(10_000):  # steps of the event loop, until the resolver has run
        if gql.broker.subscriber_count(CATALOG_TOPIC) or first.done():
            break
        await asyncio.sleep(0)
    made = await gql('mutation { createTable(input: {name: "soon"}) { __typename } }', actor="ed")
    assert made["createTable"]["__typename"] == "CreateTableSuccess"
    result = await asyncio.wait_for(first, 10)
    assert result.data == {
        "catalogChanges": {"entityType": "TABLE", "action": "CREATE", "actor": "ed"}
    }
    await stream.aclose()  # type: ignore[union-attr]
