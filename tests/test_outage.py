"""Neo4j going away and coming back, against a real throwaway Neo4j that the test stops.

While the database is down, clients get a clear STORAGE_UNAVAILABLE error (not INTERNAL, not a
hang) and /readyz says 503; once it is back on the same data directory, the same running
service answers again without a restart, and every write it acknowledged is still there.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph_api import neo4j_local
from graph_api.app import create_app
from graph_api.events import Broker
from graph_api.schema import schema
from graph_api.schema.errors import CHANGE_UNCONFIRMED
from graph_api.settings import REPO_ROOT, Settings
from graph_api.store.client import Store, create_driver
from graph_api.store.cypher import CypherRegistry
from graph_api.store.migrations import apply_migrations
from tests.conftest import WIPE, GraphQLClient

OUTAGE_PORT = int(os.environ.get("CLEW_TEST_OUTAGE_NEO4J_PORT", "7695"))
OUTAGE_DIR = (
    Path(os.environ.get("CLEW_TEST_OUTAGE_DATA_DIR", REPO_ROOT / ".clew" / "test-outage")) / "neo4j"
)
# Far above the driver's own limits (connection timeout 10 s, retries 15 s): reaching it
# means a request hung, which is the failure this file exists to catch.
HANG = 120.0

pytestmark = [
    pytest.mark.skipif(
        shutil.which("java") is None or shutil.which("mvn") is None,
        reason="needs java and mvn on PATH to run a throwaway Neo4j",
    ),
    # Restarts Neo4j: left out of `make test-fast`.
    pytest.mark.slow,
]

CREATE = """
mutation ($name: String!) {
  createTable(input: {name: $name, schema: "outage", fields: [{name: "id", dataType: "INT"}]}) {
    __typename
    ... on CreateTableSuccess { table { id qualifiedName } }
  }
}
"""
LIST = "{ tables(first: 1000, tags: null) { totalCount nodes { qualifiedName } } }"


@dataclass
class Outcomes:
    acknowledged: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    other: list[Any] = field(default_factory=list)


@pytest.fixture
async def outage_gql(settings: Settings) -> AsyncIterator[GraphQLClient]:
    status = await asyncio.to_thread(neo4j_local.start, data_dir=OUTAGE_DIR, port=OUTAGE_PORT)
    outage_settings = replace(
        settings,
        neo4j_uri=status.bolt_uri,
        neo4j_password=neo4j_local.password(data_dir=OUTAGE_DIR),
    )
    store = Store(
        create_driver(outage_settings),
        database=outage_settings.neo4j_database,
        cypher=CypherRegistry.load(outage_settings.cypher_dir),
    )
    try:
        await apply_migrations(store)
        await store.driver.execute_query(WIPE, database_=store.database)
        client = GraphQLClient(store, outage_settings, Broker())
        yield client
        client.connectors.close_all()
    finally:
        await store.close()
        await asyncio.to_thread(neo4j_local.stop, data_dir=OUTAGE_DIR)


async def create_table(gql: GraphQLClient, name: str, outcomes: Outcomes) -> None:
    result = await asyncio.wait_for(
        schema.execute(CREATE, variable_values={"name": name}, context_value=gql.context()),
        HANG,
    )
    if result.errors:
        codes = [(e.extensions or {}).get("code") for e in result.errors]
        if codes == ["STORAGE_UNAVAILABLE"] and result.errors[0].message == CHANGE_UNCONFIRMED:
            outcomes.unavailable.append(name)
        else:
            outcomes.other.append([e.formatted for e in result.errors])
    elif result.data and result.data["createTable"]["__typename"] == "CreateTableSuccess":
        outcomes.acknowledged.append(name)
    else:
        outcomes.other.append(result.data)


async def stored_names(gql: GraphQLClient) -> set[str]:
    result = await schema.execute(LIST, context_value=gql.context())
    assert result.errors is None, [e.formatted for e in result.errors]
    assert result.data is not None
    return {t["qualifiedName"] for t in result.data["tables"]["nodes"]}


async def test_requests_fail_clearly_while_neo4j_is_down_and_work_again_after(
    outage_gql: GraphQLClient,
) -> None:
    gql = outage_gql
    outcomes = Outcomes()
    for i in range(5):
        await create_table(gql, f"before_{i}", outcomes)
    assert outcomes.acknowledged == [f"before_{i}" for i in range(5)], outcomes

    # A second, HTTP-served instance of the service on the same database, for /readyz.
    with TestClient(create_app(gql.settings)) as http:
        assert http.get("/readyz").status_code == 200

        # Writers keep going while the database shuts down under them.
        stop_now = asyncio.Event()

        async def writer(n: int) -> None:
            i = 0
            while not stop_now.is_set():
                await create_table(gql, f"during_{n}_{i}", outcomes)
                i += 1

        writers = [asyncio.create_task(writer(n)) for n in range(4)]
        await asyncio.sleep(0.5)
        assert await asyncio.to_thread(neo4j_local.stop, data_dir=OUTAGE_DIR)
        stop_now.set()
        await asyncio.wait_for(asyncio.gather(*writers), HANG)
        assert outcomes.other == [], outcomes.other
        assert outcomes.unavailable, "some in-flight writes should have met the stopped database"

        # Down: a query, and a mutation with a typed result, both fail as a top-level error.
        # The driver has retried for max_transaction_retry_time before giving up.
        read = await asyncio.wait_for(schema.execute(LIST, context_value=gql.context()), HANG)
        assert read.data is None and read.errors is not None
        assert [(e.extensions or {}).get("code") for e in read.errors] == ["STORAGE_UNAVAILABLE"]
        assert read.errors[0].message == (
            "The catalog's database is unavailable right now; nothing was changed by this "
            "request. Retry in a few seconds."
        )
        down = Outcomes()
        await create_table(gql, "while_down", down)
        assert down.unavailable == ["while_down"], down
        assert http.get("/healthz").status_code == 200
        unready = http.get("/readyz")
        assert unready.status_code == 503
        assert unready.json()["status"] == "unavailable"

        # Back on the same data directory: the running service reconnects by itself.
        await asyncio.to_thread(neo4j_local.start, data_dir=OUTAGE_DIR, port=OUTAGE_PORT)
        assert http.get("/readyz").json() == {
            "status": "ready",
            "neo4j": "ok",
            "migrations": "applied",
        }
    after = Outcomes()
    await create_table(gql, "after_restart", after)
    assert after.acknowledged == ["after_restart"], after

    names = await stored_names(gql)
    acknowledged = {f"outage.{n}" for n in outcomes.acknowledged}
    assert acknowledged <= names, acknowledged - names
    assert "outage.after_restart" in names
    # Sent when the database was already gone: it cannot have been saved. (A write cut off
    # mid-commit may have been, which is why mutations are told to check before retrying.)
    assert "outage.while_down" not in names


async def test_the_log_says_why_the_database_is_unreachable(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from neo4j import AsyncGraphDatabase

    # Nothing listens on port 9: the reason the driver tucks away is a refused connection.
    driver = AsyncGraphDatabase.driver("bolt://127.0.0.1:9", max_transaction_retry_time=0.5)
    store = Store(driver, database=None, cypher=CypherRegistry.load(settings.cypher_dir))
    gql = GraphQLClient(store, settings, Broker())
    try:
        with caplog.at_level("WARNING", logger="graph_api.errors"):
            result = await schema.execute(LIST, context_value=gql.context())
    finally:
        await store.close()
    assert result.errors is not None
    assert [(e.extensions or {}).get("code") for e in result.errors] == ["STORAGE_UNAVAILABLE"]
    [record] = [r for r in caplog.records if r.name == "graph_api.errors"]
    assert any("refused" in cause.lower() for cause in record.causes)  # type: ignore[attr-defined]
