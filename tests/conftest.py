"""The test session's real Neo4j: a local 5.26 started once (or NEO4J_URI), wiped per test."""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from graph_api import neo4j_local
from graph_api.auth.roles import Principal, Role
from graph_api.context import Connection, Context, Services
from graph_api.events import Broker
from graph_api.schema import schema
from graph_api.secrets import generate_key
from graph_api.services.identity import IdentityService
from graph_api.settings import REPO_ROOT, Settings
from graph_api.store.client import Store, create_driver
from graph_api.store.cypher import CypherRegistry
from graph_api.store.migrations import apply_migrations

TEST_NEO4J_PORT = int(os.environ.get("CLEW_TEST_NEO4J_PORT", "7688"))
# Tests may wipe data, so they never share the development database.
TEST_DATA_DIR = Path(os.environ.get("CLEW_TEST_DATA_DIR", REPO_ROOT / ".clew" / "test"))
WIPE = "MATCH (n) WHERE NOT n:ClewMigration DETACH DELETE n"


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    base = Settings.from_env()
    if not base.secret_keys:
        base = replace(base, secret_keys=(generate_key(),))
    if base.neo4j_uri is not None:
        yield base
        return
    status = neo4j_local.start(
        data_dir=TEST_DATA_DIR / "neo4j",
        port=TEST_NEO4J_PORT,
        heap=base.local_neo4j_heap,
        pagecache=base.local_neo4j_pagecache,
    )
    yield replace(
        base,
        neo4j_uri=status.bolt_uri,
        neo4j_user=neo4j_local.USER,
        neo4j_password=neo4j_local.password(data_dir=TEST_DATA_DIR / "neo4j"),
        data_dir=TEST_DATA_DIR,
    )
    if os.environ.get("CLEW_TEST_KEEP_NEO4J") != "1":
        neo4j_local.stop(data_dir=TEST_DATA_DIR / "neo4j")


@pytest.fixture(scope="session")
async def store(settings: Settings) -> AsyncIterator[Store]:
    store = Store(
        create_driver(settings),
        database=settings.neo4j_database,
        cypher=CypherRegistry.load(settings.cypher_dir),
    )
    await apply_migrations(store)
    yield store
    await store.close()


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    if "store" not in request.fixturenames and "gql" not in request.fixturenames:
        yield
        return
    store: Store = request.getfixturevalue("store")
    await store.driver.execute_query(WIPE, database_=store.database)
    yield


class GraphQLClient:
    """Runs operations through the real schema with a fresh per-request context each time,
    as the HTTP layer does. The caller is a signed-in ADMIN named `actor` unless a role (or
    `principal=None` for nobody) is given; tests/test_identity.py covers real sign-in."""

    def __init__(self, store: Store, settings: Settings, broker: Broker) -> None:
        self.store = store
        self.settings = settings
        self.broker = broker
        self.services = Services.create(settings, store, broker=broker)
        self.secret_box = self.services.secret_box
        self.connectors = self.services.connectors
        self.identity = self.services.identity

    def context(
        self, actor: str = "tester", role: Role | None = Role.ADMIN, *, user_id: str | None = None
    ) -> Context:
        principal = None if role is None else Principal(user_id or f"test-{actor}", actor, role)
        return Context(self.services, Connection(principal=principal), request_id="test")

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        actor: str = "tester",
        role: Role = Role.ADMIN,
    ) -> dict[str, Any]:
        result = await schema.execute(
            query, variable_values=variables, context_value=self.context(actor, role)
        )
        assert result.errors is None, [e.formatted for e in result.errors]
        assert result.data is not None
        return result.data

    async def errors(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        actor: str = "tester",
        role: Role | None = Role.ADMIN,
    ) -> list[dict]:
        result = await schema.execute(
            query, variable_values=variables, context_value=self.context(actor, role)
        )
        assert result.errors, "expected errors"
        return [e.formatted for e in result.errors]


@pytest.fixture
def broker() -> Broker:
    return Broker()


@pytest.fixture
def gql(store: Store, settings: Settings, broker: Broker) -> Iterator[GraphQLClient]:
    client = GraphQLClient(store, settings, broker)
    yield client
    client.connectors.close_all()


TEST_PASSWORD = "correct-horse-battery-staple"
LOGIN = (
    "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { "
    "... on LoginSuccess { token } ... on LoginFailed { code message } } }"
)


def sign_in(client: Any, username: str, role: Role = Role.ADMIN) -> dict[str, str]:
    """Creates `username` with `role` in the app a Starlette TestClient runs (unless it
    exists), signs in through the login mutation and returns the Authorization header."""
    identity: IdentityService = client.app.state.identity
    if client.portal.call(identity.users_by_username, username) is None:
        client.portal.call(
            functools.partial(
                identity.create_user,
                actor="test-setup",
                username=username,
                role=role,
                password=TEST_PASSWORD,
            )
        )
    response = client.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": TEST_PASSWORD}}
    )
    login = response.json()["data"]["login"]
    assert "token" in login, login
    return {"Authorization": f"Bearer {login['token']}"}
