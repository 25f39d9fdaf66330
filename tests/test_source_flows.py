"""The "fetch columns" workflow end to end, as a user does it in GraphiQL: register a source,
watch connection tests arrive over the subscription, fix the settings, fetch a real table's
columns, edit one, save, find the table in the catalog, and never see the secret again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import GraphDatabase
from starlette.testclient import TestClient

from graph_api.app import create_app
from graph_api.settings import Settings
from graph_api.store.client import Store
from tests.conftest import sign_in
from tests.servers import fixtures as servers
from tests.servers import nosql, sql

# The shared server fixtures (started once per session, stopped only if this session did).
elasticsearch, ferretdb, postgres = servers.elasticsearch, servers.ferretdb, servers.postgres


class Session:
    """A GraphiQL user: every response and subscription message is kept, to check later that
    no secret ever came back."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.seen: list[str] = []

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
        )
        self.seen.append(response.text)
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture
def session(settings: Settings, store: Store) -> Iterator[Session]:
    with TestClient(create_app(settings)) as client:
        client.headers.update(sign_in(client, "ana"))
        yield Session(client)


SOURCE_RESULT = """
  __typename
  ... on SourceSuccess { source { id connection { password passwordSet } lastTest { success } } }
  ... on UserError { code message field }
"""
TEST = """mutation ($id: ID!) { testConnection(sourceId: $id) {
  ... on ConnectionTestReport { result { success reason message hint latencyMs product version } }
  ... on UserError { code message } } }"""


def watch_tests(session: Session, source_id: str) -> Any:
    ws = session.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
    ws.__enter__()
    token = session.client.headers["Authorization"].removeprefix("Bearer ")
    ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
    assert ws.receive_json()["type"] == "connection_ack"
    ws.send_json(
        {
            "id": "tests",
            "type": "subscribe",
            "payload": {
                "query": "subscription ($id: ID!) { connectionTestResults(sourceId: $id) "
                "{ success reason message latencyMs version } }",
                "variables": {"id": source_id},
            },
        }
    )
    broker = session.client.app.state.broker  # type: ignore[attr-defined]
    for _ in range(200):
        if broker.subscriber_count(f"connection-tests:{source_id}"):
            break
        time.sleep(0.02)
    return ws


def streamed(ws: Any, session: Session) -> dict[str, Any]:
    message = ws.receive_json()
    session.seen.append(json.dumps(message))
    assert message["type"] == "next", message
    return message["payload"]["data"]["connectionTestResults"]


def fetch_edit_save(
    session: Session, source_id: str, table: str, edit: str, schema: str | None = None
) -> dict[str, Any]:
    fetched = session(
        """query ($s: ID!, $t: String!, $schema: String) {
             introspectTable(sourceId: $s, tableName: $t, schemaName: $schema) {
               schema name kind comment rowCount notes
               columns { name dataType nullable primaryKey ordinalPosition comment }
               existingTable { id } columnsAdded
             } }""",
        {"s": source_id, "t": table, "schema": schema},
    )["introspectTable"]
    assert fetched["existingTable"] is None
    fields = [
        {
            "name": c["name"],
            "dataType": c["dataType"],
            "nullable": c["nullable"],
            "primaryKey": c["primaryKey"],
            "ordinalPosition": c["ordinalPosition"],
            "description": "Edited by a person" if c["name"] == edit else c["comment"],
        }
        for c in fetched["columns"]
    ]
    saved = session(
        """mutation ($s: ID!, $input: IntrospectedTableInput!) {
             createTableFromIntrospection(sourceId: $s, input: $input) {
               __typename
               ... on ApplyIntrospectionSuccess { table { id qualifiedName source { id } } }
               ... on UserError { code message field } } }""",
        {
            "s": source_id,
            "input": {
                "name": fetched["name"],
                "schema": fetched["schema"],
                "kind": fetched["kind"],
                "description": fetched["comment"],
                "fields": fields,
            },
        },
    )["createTableFromIntrospection"]
    assert saved["__typename"] == "ApplyIntrospectionSuccess", saved
    assert saved["table"]["source"] == {"id": source_id}
    catalog = session(
        """query ($s: ID!) { tables(sourceId: $s) { totalCount
             nodes { id qualifiedName fields { name dataType description } } } }""",
        {"s": source_id},
    )["tables"]
    assert catalog["totalCount"] == 1
    table_node = catalog["nodes"][0]
    assert [f["name"] for f in table_node["fields"]] == [c["name"] for c in fetched["columns"]]
    edited = next(f for f in table_node["fields"] if f["name"] == edit)
    assert edited["description"] == "Edited by a person"
    return {"fetched": fetched, "table": table_node}


def assert_secret_nowhere(secret: str, session: Session, settings: Settings, logs: str) -> None:
    assert all(secret not in text for text in session.seen)
    assert secret not in logs
    with GraphDatabase.driver(
        settings.bolt_uri, auth=(settings.neo4j_user, settings.neo4j_password)
    ) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n) RETURN properties(n) AS p", database_=settings.neo4j_database
        )
    assert all(secret not in json.dumps(r["p"], default=str) for r in records)


def test_elasticsearch_wrong_password_then_fetch_columns(
    session: Session,
    settings: Settings,
    elasticsearch: nosql.ServerInfo,
    capsys: pytest.CaptureFixture[str],
) -> None:
    password = elasticsearch.users["clew_admin"]
    created = session(
        f"mutation ($input: CreateSourceInput!) {{ createSource(input: $input) {{ {SOURCE_RESULT} }} }}",
        {
            "input": {
                "name": "search",
                "type": "ELASTICSEARCH",
                "connection": {
                    "host": elasticsearch.host,
                    "port": elasticsearch.port,
                    "username": "clew_admin",
                    "password": "not-the-password",
                },
            }
        },
    )["createSource"]
    source_id = created["source"]["id"]
    ws = watch_tests(session, source_id)
    try:
        failed = session(TEST, {"id": source_id})["testConnection"]["result"]
        assert failed["success"] is False
        assert failed["reason"] == "AUTHENTICATION_FAILED"
        assert "password" in failed["hint"].lower()
        live = streamed(ws, session)
        assert live["reason"] == "AUTHENTICATION_FAILED" and live["success"] is False

        session(
            f"mutation ($id: ID!, $input: UpdateSourceInput!) {{ updateSource(id: $id, input: $input) {{ {SOURCE_RESULT} }} }}",
            {"id": source_id, "input": {"connection": {"password": password}}},
        )
        ok = session(TEST, {"id": source_id})["testConnection"]["result"]
        assert ok["success"] is True and ok["product"] == "Elasticsearch"
        assert ok["version"] == elasticsearch.version and ok["latencyMs"] > 0
        live = streamed(ws, session)
        assert live["success"] is True and live["version"] == elasticsearch.version
    finally:
        ws.__exit__(None, None, None)

    result = fetch_edit_save(session, source_id, "products", edit="name.keyword")
    assert "name.keyword" in [c["name"] for c in result["fetched"]["columns"]]
    history = session(
        """query ($s: ID!) { connectionTests(sourceId: $s) { totalCount
             nodes { operation success reason tableName actor } } }""",
        {"s": source_id},
    )["connectionTests"]
    assert [(n["operation"], n["success"]) for n in history["nodes"]] == [
        ("INTROSPECTION", True),
        ("CONNECTION_TEST", True),
        ("CONNECTION_TEST", False),
    ]
    assert history["nodes"][0]["tableName"] == "products"
    assert_secret_nowhere(password, session, settings, capsys.readouterr().err)


def test_mongodb_wrong_port_then_fetch_columns(
    session: Session,
    settings: Settings,
    ferretdb: nosql.ServerInfo,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # FerretDB's embeddable build does not check passwords (see tests/connectors), so here the
    # mistake is the port; the wrong-password path is covered against PostgreSQL and
    # Elasticsearch.
    closed = nosql.unused_port()
    created = session(
        f"mutation ($input: CreateSourceInput!) {{ createSource(input: $input) {{ {SOURCE_RESULT} }} }}",
        {
            "input": {
                "name": "app-db",
                "type": "MONGODB",
                "connection": {"host": ferretdb.host, "port": closed, "database": "shop"},
            }
        },
    )["createSource"]
    source_id = created["source"]["id"]
    ws = watch_tests(session, source_id)
    try:
        failed = session(TEST, {"id": source_id})["testConnection"]["result"]
        assert failed["reason"] == "CONNECTION_REFUSED"
        assert streamed(ws, session)["reason"] == "CONNECTION_REFUSED"
        session(
            f"mutation ($id: ID!, $input: UpdateSourceInput!) {{ updateSource(id: $id, input: $input) {{ {SOURCE_RESULT} }} }}",
            {"id": source_id, "input": {"connection": {"port": ferretdb.port}}},
        )
        ok = session(TEST, {"id": source_id})["testConnection"]["result"]
        assert ok["success"] is True and ok["version"]
        assert streamed(ws, session)["success"] is True
    finally:
        ws.__exit__(None, None, None)
    result = fetch_edit_save(session, source_id, "customers", edit="address.city")
    columns = {c["name"]: c for c in result["fetched"]["columns"]}
    assert columns["_id"]["primaryKey"] is True
    assert any("rejected $sample" in note for note in result["fetched"]["notes"])


def test_postgresql_wrong_password_then_fetch_edit_save_and_resync(
    session: Session,
    settings: Settings,
    postgres: sql.ServerInfo,
    capsys: pytest.CaptureFixture[str],
) -> None:
    created = session(
        f"mutation ($input: CreateSourceInput!) {{ createSource(input: $input) {{ {SOURCE_RESULT} }} }}",
        {
            "input": {
                "name": "shop-pg",
                "type": "POSTGRESQL",
                "connection": {
                    "host": postgres.host,
                    "port": postgres.port,
                    "database": postgres.database,
                    "username": postgres.user,
                    "password": "wrong-" + postgres.password,
                },
            }
        },
    )["createSource"]
    assert created["source"]["connection"] == {"password": "******", "passwordSet": True}
    source_id = created["source"]["id"]
    ws = watch_tests(session, source_id)
    try:
        failed = session(TEST, {"id": source_id})["testConnection"]["result"]
        assert (failed["success"], failed["reason"]) == (False, "AUTHENTICATION_FAILED")
        assert streamed(ws, session)["reason"] == "AUTHENTICATION_FAILED"
        session(
            f"mutation ($id: ID!, $input: UpdateSourceInput!) {{ updateSource(id: $id, input: $input) {{ {SOURCE_RESULT} }} }}",
            {"id": source_id, "input": {"connection": {"password": postgres.password}}},
        )
        ok = session(TEST, {"id": source_id})["testConnection"]["result"]
        assert ok["success"] is True and ok["product"] == "PostgreSQL"
        assert ok["version"] and ok["latencyMs"] > 0
        assert streamed(ws, session)["success"] is True
    finally:
        ws.__exit__(None, None, None)
    source = session(
        "query ($id: ID!) { source(id: $id) { lastTest { success version } } }", {"id": source_id}
    )["source"]
    assert source["lastTest"]["success"] is True

    result = fetch_edit_save(session, source_id, "customers", edit="full_name", schema="public")
    columns = {c["name"]: c for c in result["fetched"]["columns"]}
    assert columns["id"]["primaryKey"] is True and columns["email"]["nullable"] is False
    assert columns["email"]["comment"] == "Login and contact address; unique per customer"

    # Someone edits the catalog; fetching again shows the differences, and applying them
    # restores what the database says while keeping what people wrote.
    table = result["table"]
    fields = {f["name"]: f for f in table["fields"]}
    ids = session(
        "query ($id: ID!) { table(id: $id) { fields { id name } } }", {"id": table["id"]}
    )["table"]["fields"]
    by_name = {f["name"]: f["id"] for f in ids}
    session("mutation ($id: ID!) { deleteField(id: $id) { __typename } }", {"id": by_name["tags"]})
    session(
        'mutation ($id: ID!) { updateField(id: $id, input: {dataType: "text"}) { __typename } }',
        {"id": by_name["email"]},
    )
    again = session(
        """query ($s: ID!) { introspectTable(sourceId: $s, tableName: "CUSTOMERS") {
             existingTable { id } columnsAdded columnsRemoved columnsChanged { name changes } } }""",
        {"s": source_id},
    )["introspectTable"]
    assert again["existingTable"] == {"id": table["id"]}
    assert again["columnsAdded"] == ["tags"] and again["columnsRemoved"] == []
    assert again["columnsChanged"] == [
        {
            "name": "email",
            "changes": {"dataType": {"catalog": "text", "database": columns["email"]["dataType"]}},
        }
    ]
    fields_input = [
        {
            "name": c["name"],
            "dataType": c["dataType"],
            "nullable": c["nullable"],
            "primaryKey": c["primaryKey"],
            "ordinalPosition": c["ordinalPosition"],
            "description": c["comment"],
        }
        for c in result["fetched"]["columns"]
    ]
    applied = session(
        """mutation ($s: ID!, $input: IntrospectedTableInput!) {
             createTableFromIntrospection(sourceId: $s, input: $input) {
               ... on ApplyIntrospectionSuccess { fields { name dataType description } removedFields } } }""",
        {
            "s": source_id,
            "input": {"name": "customers", "schema": "public", "fields": fields_input},
        },
    )["createTableFromIntrospection"]
    after = {f["name"]: f for f in applied["fields"]}
    assert after["email"]["dataType"] == columns["email"]["dataType"]
    assert "tags" in after
    assert after["full_name"]["description"] == fields["full_name"]["description"]
    assert after["full_name"]["description"] == "Edited by a person"
    assert applied["removedFields"] == []
    assert_secret_nowhere(postgres.password, session, settings, capsys.readouterr().err)


INTROSPECT = """query ($s: ID!, $t: String!, $schema: String) {
  introspectTable(sourceId: $s, tableName: $t, schemaName: $schema) { name } }"""


def refusal(session: Session, variables: dict[str, Any]) -> dict[str, Any]:
    response = session.client.post("/graphql", json={"query": INTROSPECT, "variables": variables})
    session.seen.append(response.text)
    [error] = response.json()["errors"]
    return error


def test_what_a_source_lacks_or_refuses_comes_back_with_its_own_code(
    session: Session, postgres: sql.ServerInfo, ferretdb: nosql.ServerInfo
) -> None:
    def create(name: str, type: str, connection: dict[str, Any]) -> str:
        created = session(
            f"mutation ($input: CreateSourceInput!) {{ createSource(input: $input) "
            f"{{ {SOURCE_RESULT} }} }}",
            {"input": {"name": name, "type": type, "connection": connection}},
        )["createSource"]
        return str(created["source"]["id"])

    pg = create(
        "shop-pg",
        "POSTGRESQL",
        {
            "host": postgres.host,
            "port": postgres.port,
            "database": postgres.database,
            "username": postgres.user,
            "password": postgres.password,
        },
    )
    mongo = create("shop-docs", "MONGODB", {"host": ferretdb.host, "port": ferretdb.port,
                                             "database": "shop"})  # fmt: skip

    missing = refusal(session, {"s": pg, "t": "custmers", "schema": "public"})
    assert missing["extensions"] == {
        "code": "NOT_FOUND",
        "field": "tableName",
        "reason": "TABLE_NOT_FOUND",
        "missing": "TABLE",
        "missingName": "public.custmers",
    }
    assert "Did you mean 'public.customers'?" in missing["message"]
    schema = refusal(session, {"s": pg, "t": "customers", "schema": "salez"})
    assert (schema["extensions"]["code"], schema["extensions"]["missing"]) == (
        "NOT_FOUND",
        "SCHEMA",
    )
    denied = refusal(session, {"s": pg, "t": "payroll", "schema": "public"})
    assert denied["extensions"]["code"] == "PERMISSION_DENIED"
    assert denied["extensions"]["reason"] == "PERMISSION_DENIED"
    # A collection looked up in a database that does not exist: the database is what is missing.
    database = refusal(session, {"s": mongo, "t": "customers", "schema": "shopp"})
    assert database["extensions"]["missing"] == "DATABASE"
    assert database["extensions"]["missingName"] == "shopp"
    assert database["message"].startswith("Database 'shopp' does not exist")
    collection = refusal(session, {"s": mongo, "t": "customer"})
    assert (collection["extensions"]["missing"], collection["extensions"]["missingName"]) == (
        "COLLECTION",
        "shop.customer",
    )
