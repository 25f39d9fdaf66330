"""Two real Clew processes over one Neo4j and one Redis, as behind a load balancer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from graph_api.settings import Settings
from tests.replicas import Replica, replicas
from tests.servers.fixtures import redis_server  # noqa: F401 (a fixture)
from tests.servers.redis import RedisInfo
from tests.servers.sql import unused_port

CREATE_SOURCE = """mutation ($input: CreateSourceInput!) { createSource(input: $input) {
  __typename ... on SourceSuccess { source { id } } ... on UserError { code message } } }"""
TEST = """mutation ($id: ID!) { testConnection(sourceId: $id) {
  ... on ConnectionTestReport { result { success reason } } ... on UserError { code message } } }"""
WATCH = "subscription ($id: ID!) { connectionTestResults(sourceId: $id) { success reason } }"


@pytest.fixture(scope="module")
def pair(settings: Settings, redis_server: RedisInfo) -> Iterator[list[Replica]]:  # noqa: F811
    with replicas(settings, CLEW_REDIS_URL=redis_server.url) as started:
        yield started


def test_a_connection_test_through_one_replica_reaches_a_subscriber_on_the_other(
    pair: list[Replica],
) -> None:
    a, b = pair
    admin_a = a.sign_in()
    created = a.post(
        CREATE_SOURCE,
        {
            "input": {
                "name": "orders-db",
                "type": "POSTGRESQL",
                "connection": {
                    "host": "127.0.0.1",
                    "port": unused_port(),
                    "database": "shop",
                    "username": "reader",
                },
            }
        },
        headers=admin_a,
    )["data"]["createSource"]
    assert created["__typename"] == "SourceSuccess", created
    source_id = created["source"]["id"]
    token_b = b.sign_in()["Authorization"].removeprefix("Bearer ")
    with b.subscribe(token_b, WATCH, {"id": source_id}) as ws:
        # The subscription starts on B without an acknowledgement: test through A until B
        # has told its subscriber of one (each test through A is published once).
        received = None
        for _ in range(20):
            result = a.post(TEST, {"id": source_id}, headers=admin_a)
            tested = result["data"]["testConnection"]["result"]
            assert tested["reason"] == "CONNECTION_REFUSED", result
            try:
                received = json.loads(ws.recv(timeout=3))
                break
            except TimeoutError:
                continue
            except ConnectionClosed:
                pytest.fail("replica B closed the subscription")
        assert received is not None, "no connection test through A reached B's subscriber"
        assert received["type"] == "next", received
        assert received["payload"]["data"]["connectionTestResults"] == {
            "success": False,
            "reason": "CONNECTION_REFUSED",
        }


def test_readiness_says_events_are_shared(pair: list[Replica]) -> None:
    for replica in pair:
        body = replica.ready().json()
        assert body["status"] == "ready" and body["events"] == "shared", body
