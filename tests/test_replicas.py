"""Two real Clew processes over one Neo4j and one Redis, as behind a load balancer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from websockets.exceptions import ConnectionClosed

from graph_api.settings import Settings
from tests.conftest import LOGIN, TEST_PASSWORD
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
        assert body["status"] == "ready", body
        assert body["events"] == "shared" and body["signInThrottle"] == "shared", body


CREATE_USER = """mutation ($u: String!, $p: String!) { createUser(input:
  {username: $u, password: $p, role: VIEWER}) { __typename } }"""
THROTTLES = "{ signInThrottles { kind name failures retryAfterSeconds } }"


def attempt(replica: Replica, username: str, password: str) -> str:
    """What a person signing in through `replica` is told: the code, and the message."""
    body: dict[str, Any] = replica.post(LOGIN, {"u": username, "p": password})
    if body.get("errors"):
        error = body["errors"][0]
        return f"{error['extensions']['code']}: {error['message']}"
    login = body["data"]["login"]
    return "SIGNED_IN" if "token" in login else f"{login['code']}: {login['message']}"


def test_failed_sign_ins_spread_over_both_replicas_are_throttled_as_one_count(
    pair: list[Replica],
) -> None:
    a, b = pair
    admin_a = a.sign_in()
    victim = f"victim-{uuid.uuid4().hex[:8]}"
    created = a.post(CREATE_USER, {"u": victim, "p": TEST_PASSWORD}, headers=admin_a)
    assert created["data"]["createUser"]["__typename"] == "CreateUserSuccess", created
    # Five wrong guesses (the free ones), alternating: B itself has seen only two of them.
    guesses = [attempt(r, victim, f"wrong-guess-{n:04d}") for n, r in enumerate([a, b, a, b, a])]
    assert all(g.startswith("UNAUTHENTICATED: Wrong username or password") for g in guesses)
    # B slows the guesser down as if it had seen all five. (Each failure that slips past a
    # delay already over doubles the next one, so a refusal comes within three tries; B
    # counting alone would let three more through.)
    tries = [attempt(b, victim, f"another-guess-{n:04d}") for n in range(3)]
    refused = [t for t in tries if t.startswith("RATE_LIMITED")]
    assert refused and refused[0].startswith("RATE_LIMITED: Too many failed sign-ins; wait"), tries
    # Administrators see the one series on either replica.
    admin_b = b.sign_in()
    for replica, admin in ((a, admin_a), (b, admin_b)):
        throttles = replica.post(THROTTLES, headers=admin)["data"]["signInThrottles"]
        (series,) = [t for t in throttles if t["name"] == victim]
        assert series["kind"] == "USERNAME" and series["failures"] >= 5, throttles


CREATE_TABLE = """mutation ($name: String!) { createTable(input: {name: $name, schema: "rw"}) {
  ... on CreateTableSuccess { table { id } } } }"""
READ_TABLE = "query ($id: ID!) { table(id: $id) { name } }"


def test_a_bookmark_from_a_write_on_one_replica_makes_a_read_on_the_other_wait_for_it(
    pair: list[Replica],
) -> None:
    a, b = pair
    admin_a, admin_b = a.sign_in(), b.sign_in()
    written = httpx.post(
        a.graphql, json={"query": CREATE_TABLE, "variables": {"name": "orders"}}, headers=admin_a
    )
    bookmark = written.headers["Clew-Bookmark"]
    table_id = written.json()["data"]["createTable"]["table"]["id"]
    # A read sent with the bookmark runs once B's database has applied that write.
    read = httpx.post(
        b.graphql,
        json={"query": READ_TABLE, "variables": {"id": table_id}},
        headers={**admin_b, "Clew-Bookmark": bookmark},
    )
    assert read.json() == {"data": {"table": {"name": "orders"}}}
    # Only a request that wrote gets one back.
    assert "Clew-Bookmark" not in read.headers
    # The bookmark reaches Neo4j itself: one it never issued is refused by the database.
    forged = bookmark.split(",")[0][:-8] + "AAAAAAAA"
    refused = httpx.post(
        b.graphql,
        json={"query": READ_TABLE, "variables": {"id": table_id}},
        headers={**admin_b, "Clew-Bookmark": forged},
    ).json()
    assert refused["errors"][0]["extensions"]["code"] == "VALIDATION", refused
    assert (
        "names a transaction this catalog's database does not know"
        in refused["errors"][0]["message"]
    )
    # Something that is no bookmark at all never gets that far.
    malformed = httpx.post(
        b.graphql,
        json={"query": READ_TABLE, "variables": {"id": table_id}},
        headers={**admin_b, "Clew-Bookmark": "not a bookmark; DROP"},
    )
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
