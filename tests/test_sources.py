"""Registering sources: validated settings, and secrets that never come back or sit in clear."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from graph_api.auth.roles import Role
from graph_api.secrets import SecretBox, generate_key
from graph_api.services.secret_rotation import rotate_secrets
from graph_api.settings import Settings
from graph_api.store.client import Store
from tests.conftest import GraphQLClient
from tests.connectors.test_scrubbing import SECRET, USER, leaks
from tests.servers.echo import echo_postgres

SOURCE = """
  id name type active
  connection {
    host port database serviceName sid username tls { enabled verifyHostname }
    password passwordSet apiKey apiKeySet uri uriSet
  }
"""

CREATE = f"""
mutation ($input: CreateSourceInput!) {{
  createSource(input: $input) {{
    __typename
    ... on SourceSuccess {{ source {{ {SOURCE} }} }}
    ... on UserError {{ code message field }}
  }}
}}
"""

UPDATE = f"""
mutation ($id: ID!, $input: UpdateSourceInput!) {{
  updateSource(id: $id, input: $input) {{
    __typename
    ... on SourceSuccess {{ source {{ {SOURCE} }} }}
    ... on UserError {{ code message field }}
  }}
}}
"""

PASSWORD = "s3cret-Pa55word!"


async def create(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    return (await gql(CREATE, {"input": input}))["createSource"]


async def raw_source(store: Store, source_id: str) -> dict[str, Any]:
    records, _, _ = await store.driver.execute_query(
        "MATCH (s:Source {id: $id}) RETURN properties(s) AS p",
        {"id": source_id},
        database_=store.database,
    )
    return records[0]["p"]


async def test_password_is_masked_and_encrypted_at_rest(gql: GraphQLClient, store: Store) -> None:
    created = await create(
        gql,
        name="orders-pg",
        type="POSTGRESQL",
        connection={
            "host": "db.internal",
            "database": "shop",
            "username": "clew",
            "password": PASSWORD,
        },
    )
    assert created["__typename"] == "SourceSuccess"
    connection = created["source"]["connection"]
    assert connection["password"] == "******" and connection["passwordSet"] is True
    assert connection["port"] is None and connection["uri"] is None
    stored = await raw_source(store, created["source"]["id"])
    assert PASSWORD not in repr(stored)
    assert gql.secret_box.decrypt(stored["secret_password"]) == PASSWORD

    # Changing something else keeps the password; null removes it.
    kept = (
        await gql(
            UPDATE,
            {
                "id": created["source"]["id"],
                "input": {"description": "orders", "connection": {"port": 6432}},
            },
        )
    )["updateSource"]
    assert kept["source"]["connection"]["passwordSet"] is True
    assert kept["source"]["connection"]["port"] == 6432
    stored_again = await raw_source(store, created["source"]["id"])
    assert gql.secret_box.decrypt(stored_again["secret_password"]) == PASSWORD
    removed = (
        await gql(
            UPDATE, {"id": created["source"]["id"], "input": {"connection": {"password": None}}}
        )
    )["updateSource"]
    assert removed["source"]["connection"]["passwordSet"] is False
    assert "secret_password" not in await raw_source(store, created["source"]["id"])

    history = await gql(
        "query ($id: ID!) { history(entityId: $id) { nodes { action before after comment } } }",
        {"id": created["source"]["id"]},
    )
    assert PASSWORD not in repr(history)
    assert history["history"]["nodes"][0]["comment"] == "Credentials changed."


@pytest.mark.parametrize(
    ("input", "field", "words"),
    [
        (
            {"type": "POSTGRESQL", "connection": {"host": "db", "port": 70000, "username": "u"}},
            "input.connection.port",
            "between 1 and 65535",
        ),
        (
            {
                "type": "ORACLE",
                "connection": {"host": "db", "username": "u", "serviceName": "A", "sid": "B"},
            },
            "input.connection.serviceName",
            "exactly one of",
        ),
        (
            {"type": "MYSQL", "connection": {"port": 3306, "username": "u"}},
            "input.connection.host",
            "host",
        ),
        (
            {"type": "MONGODB", "connection": {"host": "mongo"}},
            "input.connection.database",
            "database",
        ),
        (
            {"type": "POSTGRESQL", "connection": {"host": "https://db/x", "username": "u"}},
            "input.connection.host",
            "host name",
        ),
        (
            {"type": "MYSQL", "connection": {"host": "db", "username": "u", "apiKey": "k"}},
            "input.connection.apiKey",
            "Elasticsearch",
        ),
        (
            {
                "type": "POSTGRESQL",
                "connection": {
                    "host": "db",
                    "username": "u",
                    "tls": {"enabled": True, "caCertificate": "x"},
                },
            },
            "input.connection.tls.caCertificate",
            "PEM",
        ),
    ],
)
async def test_invalid_settings_name_the_field(
    gql: GraphQLClient, input: dict[str, Any], field: str, words: str
) -> None:
    result = await create(gql, name="bad", **input)
    assert result["__typename"] == "ValidationError"
    assert result["field"] == field
    assert words in result["message"]


async def test_key_rotation_and_unreadable_secrets(
    gql: GraphQLClient, store: Store, settings: Settings
) -> None:
    created = await create(
        gql, name="es", type="ELASTICSEARCH", connection={"host": "es", "apiKey": "k3y"}
    )
    source_id = created["source"]["id"]
    old = (await raw_source(store, source_id))["secret_api_key"]

    new_key = generate_key()
    both = SecretBox([new_key, *settings.secret_keys])
    count, unreadable = await rotate_secrets(store, both)
    assert (count, unreadable) == (1, [])
    rotated = (await raw_source(store, source_id))["secret_api_key"]
    assert rotated != old
    assert SecretBox([new_key]).decrypt(rotated) == "k3y"

    # Configured with neither key, the service names the source and says what to do.
    stranger = GraphQLClient(store, replace(settings, secret_keys=(generate_key(),)), gql.broker)
    result = await stranger(
        """mutation ($id: ID!) { testConnection(sourceId: $id) {
             __typename ... on UserError { message } } }""",
        {"id": source_id},
    )
    message = result["testConnection"]["message"]
    assert "'es'" in message and "cannot be decrypted" in message and "CLEW_SECRET_KEYS" in message
    # ...and the rest of the service keeps working.
    listed = await stranger("{ sources { totalCount nodes { name connection { apiKeySet } } } }")
    assert listed["sources"]["nodes"] == [{"name": "es", "connection": {"apiKeySet": True}}]
    assert await rotate_secrets(store, SecretBox([generate_key()])) == (0, ["es"])


# Connection tests: what is kept, and who may read what a server said

TEST_SAVED = """mutation ($id: ID!) { testConnection(sourceId: $id) {
  __typename ... on ConnectionTestReport { result { success reason message hint serverMessage } }
  ... on UserError { code message } } }"""

TEST_UNSAVED = """mutation ($input: TestConnectionConfigInput!) { testConnectionConfig(input: $input) {
  __typename ... on ConnectionTestReport { result { id success reason message serverMessage } }
  ... on UserError { code message } } }"""

HISTORY = """query ($id: ID!) {
  connectionTests(sourceId: $id) { nodes { success reason message hint serverMessage } }
  source(id: $id) { lastTest { success reason message } } }"""


async def count_tests(store: Store) -> int:
    records, _, _ = await store.driver.execute_query(
        "MATCH (c:ConnectionTest) RETURN count(c) AS n", database_=store.database
    )
    return int(records[0]["n"])


async def test_a_connection_test_that_failed_is_not_called_a_success(gql: GraphQLClient) -> None:
    # The result type says a test ran; `success` says how it went.
    data = await gql(
        TEST_UNSAVED,
        {
            "input": {
                "type": "POSTGRESQL",
                "connection": {"host": "127.0.0.1", "port": 1, "username": "u"},
            }
        },
    )
    result = data["testConnectionConfig"]
    assert result["__typename"] == "ConnectionTestReport"
    assert result["result"]["success"] is False
    assert result["result"]["reason"] == "CONNECTION_REFUSED"


async def test_testing_unsaved_settings_stores_nothing(gql: GraphQLClient, store: Store) -> None:
    # The README and the schema say "nothing is stored": no record, no trace of the target.
    with echo_postgres() as port:
        data = await gql(
            TEST_UNSAVED,
            {
                "input": {
                    "type": "POSTGRESQL",
                    "connection": {
                        "host": "127.0.0.1",
                        "port": port,
                        "database": "shop",
                        "username": USER,
                        "password": SECRET,
                    },
                }
            },
        )

    result = data["testConnectionConfig"]["result"]
    assert result["success"] is False and result["reason"] == "AUTHENTICATION_FAILED"
    assert await count_tests(store) == 0
    # The message keeps only the classified reason: nothing of what answered on the port.
    assert result["message"] == (
        f"PostgreSQL at 127.0.0.1:{port}/shop: the server refused the credentials of user '{USER}'."
    )
    assert leaks(repr(result)) == []


async def test_viewers_never_read_what_an_echoing_server_said(gql: GraphQLClient) -> None:
    with echo_postgres() as port:
        created = await create(
            gql,
            name="rogue",
            type="POSTGRESQL",
            connection={
                "host": "127.0.0.1",
                "port": port,
                "database": "shop",
                "username": USER,
                "password": SECRET,
            },
        )
        source_id = created["source"]["id"]
        tested = await gql(TEST_SAVED, {"id": source_id}, role=Role.EDITOR)

    # The editor who ran it, and every viewer later, read Clew's words only.
    assert tested["testConnection"]["result"]["serverMessage"] is None
    viewer = await gql(HISTORY, {"id": source_id}, role=Role.VIEWER)
    admin = await gql(HISTORY, {"id": source_id}, role=Role.ADMIN)

    [seen] = viewer["connectionTests"]["nodes"]
    assert seen["reason"] == "AUTHENTICATION_FAILED" and seen["serverMessage"] is None
    assert viewer["source"]["lastTest"]["message"] == seen["message"]
    # Administrators may read what the server said, with every form of the secret removed.
    [full] = admin["connectionTests"]["nodes"]
    assert "password authentication failed" in full["serverMessage"]
    assert "******" in full["serverMessage"]
    for text in (repr(viewer), repr(admin), repr(tested)):
        assert leaks(text) == [], text


@pytest.mark.parametrize(
    ("uri", "accepted"),
    [("mongodb://mongo:27017/shop", True), ("mongodb://mongo:27017/", False)],
)
async def test_a_mongodb_uri_that_names_its_database_needs_no_database_setting(
    gql: GraphQLClient, uri: str, accepted: bool
) -> None:
    result = await create(gql, name="docs", type="MONGODB", connection={"uri": uri})

    if accepted:
        assert result["__typename"] == "SourceSuccess", result
    else:
        assert result["__typename"] == "ValidationError"
        assert result["field"] == "input.connection.database"
        assert "a database in the URI" in result["message"]


async def test_update_source_names_its_own_inputs(gql: GraphQLClient) -> None:
    created = await create(gql, name="named-inputs", type="POSTGRESQL",
                           connection={"host": "db", "username": "u"})  # fmt: skip
    update = """mutation ($id: ID!, $input: UpdateSourceInput!) {
        updateSource(id: $id, input: $input) {
          __typename ... on UserError { code message field } } }"""
    port = (
        await gql(update, {"id": created["source"]["id"], "input": {"connection": {"port": 0}}})
    )["updateSource"]
    assert port == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "message": "connection.port must be between 1 and 65535, got 0.",
        "field": "input.connection.port",
    }
    blank = (await gql(update, {"id": created["source"]["id"], "input": {"name": " "}}))[
        "updateSource"
    ]
    assert blank["field"] == "input.name"
    missing = (await gql(update, {"id": "no-such-source", "input": {"name": "x"}}))["updateSource"]
    assert missing["__typename"] == "NotFoundError" and missing["field"] == "id"
    tested = await gql(
        """mutation { testConnection(sourceId: "no-such-source") {
             __typename ... on UserError { field } } }"""
    )
    assert tested["testConnection"] == {"__typename": "NotFoundError", "field": "sourceId"}
