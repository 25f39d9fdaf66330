"""The service over HTTP and WebSocket, as the GraphiQL explorer and the front end use it."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from starlette.testclient import TestClient

from graph_api.app import create_app
from graph_api.auth.roles import Role
from graph_api.secrets import SecretKeyError
from graph_api.services.transfer import ImportOptions, JobStatus, TransferService, job_topic
from graph_api.settings import Settings
from graph_api.store.client import Store
from tests.conftest import sign_in


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    # `store` is requested so the autouse fixture wipes the database first.
    with TestClient(create_app(settings)) as client:
        client.headers.update(sign_in(client, "ana"))
        yield client


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "neo4j": "ok", "migrations": "applied"}


def test_readiness_fails_clearly_when_neo4j_is_unreachable(settings: Settings) -> None:
    broken = replace(settings, neo4j_uri="bolt://127.0.0.1:9")
    with TestClient(create_app(broken)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"


def test_post_and_get_queries_with_request_id(client: TestClient) -> None:
    created = client.post(
        "/graphql",
        json={
            "query": 'mutation { createTable(input: {name: "web_orders", fields: [{name: "id"}]}) '
            "{ ... on CreateTableSuccess { table { id } } } }"
        },
        headers={"X-Request-ID": "req-123"},
    )
    assert created.status_code == 200
    assert created.headers["x-request-id"] == "req-123"
    table_id = created.json()["data"]["createTable"]["table"]["id"]

    fetched = client.get(
        "/graphql",
        params={
            "query": "query ($id: ID!) { table(id: $id) { name fields { name } } }",
            "variables": json.dumps({"id": table_id}),
        },
    )
    assert fetched.status_code == 200
    assert fetched.json()["data"]["table"] == {"name": "web_orders", "fields": [{"name": "id"}]}
    assert len(fetched.headers["x-request-id"]) == 32

    history = client.post(
        "/graphql",
        json={"query": f'{{ history(entityId: "{table_id}") {{ nodes {{ actor }} }} }}'},
    )
    assert history.json()["data"]["history"]["nodes"] == [{"actor": "ana"}]


def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    client: TestClient, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # A node written behind the service's back, with a kind the service does not know.
    with GraphDatabase.driver(
        settings.bolt_uri, auth=(settings.neo4j_user, settings.neo4j_password)
    ) as driver:
        driver.execute_query(
            "CREATE (:Table {id: 'corrupt', name: 'x', qualified_name: 'x', kind: 'WEIRD', "
            "source_key: 'manual', created_at: datetime(), updated_at: datetime()})",
            database_=settings.neo4j_database,
        )
    response = client.post(
        "/graphql",
        json={"query": '{ table(id: "corrupt") { name kind } }'},
        headers={"X-Request-ID": "req-corrupt"},
    )
    body = response.json()
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-corrupt"}
    assert "req-corrupt" in error["message"]
    assert "WEIRD" not in response.text and "Traceback" not in response.text
    captured = capsys.readouterr().err
    logged = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    failures = [entry for entry in logged if entry.get("request_id") == "req-corrupt"]
    assert any("WEIRD" in entry.get("exception", "") for entry in failures)


def test_graphql_syntax_errors_are_shown_not_masked(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ tables { nodez { name } } }"})
    message = response.json()["errors"][0]["message"]
    assert "nodez" in message


def test_subscription_streams_catalog_changes(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        token = client.headers["Authorization"].removeprefix("Bearer ")
        ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": 'subscription { catalogChanges(entityTypes: ["TABLE"]) '
                    "{ entityType action actor } }"
                },
            }
        )
        # Wait until the server has registered the subscriber before changing the catalog.
        broker = client.app.state.broker  # type: ignore[attr-defined]
        for _ in range(100):
            if broker.subscriber_count("catalog"):
                break
            time.sleep(0.02)
        client.post(
            "/graphql",
            json={
                "query": 'mutation { createTable(input: {name: "live", fields: [{name: "x"}]}) '
                "{ __typename } }"
            },
            headers=sign_in(client, "bo", Role.EDITOR),
        )
        message = ws.receive_json()
        assert message["type"] == "next"
        assert message["payload"]["data"]["catalogChanges"] == {
            "entityType": "TABLE",
            "action": "CREATE",
            "actor": "bo",
        }
        ws.send_json({"id": "1", "type": "complete"})


def test_subscriptions_serve_several_clients_and_clean_up(client: TestClient) -> None:
    broker = client.app.state.broker  # type: ignore[attr-defined]
    subscribe = {
        "type": "subscribe",
        "payload": {"query": "subscription { catalogChanges { entityType action } }"},
    }
    with (
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as first,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as second,
    ):
        token = client.headers["Authorization"].removeprefix("Bearer ")
        for ws in (first, second):
            ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json({"id": "s", **subscribe})
        for _ in range(100):
            if broker.subscriber_count("catalog") == 2:
                break
            time.sleep(0.02)
        assert broker.subscriber_count("catalog") == 2
        client.post(
            "/graphql",
            json={"query": 'mutation { createTable(input: {name: "x"}) { __typename } }'},
        )
        for ws in (first, second):
            assert ws.receive_json()["payload"]["data"]["catalogChanges"] == {
                "entityType": "TABLE",
                "action": "CREATE",
            }
    # Both clients went away without completing: their subscriptions are gone too.
    for _ in range(100):
        if broker.subscriber_count("catalog") == 0:
            break
        time.sleep(0.02)
    assert broker.subscriber_count("catalog") == 0


def test_start_up_stops_without_an_encryption_key(settings: Settings) -> None:
    with pytest.raises(SecretKeyError, match="CLEW_SECRET_KEYS"):
        create_app(replace(settings, secret_keys=()))


def test_subscription_errors_are_shaped_like_any_other(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        token = client.headers["Authorization"]
        ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": 'subscription { importJobProgress(id: "nope") { status } }'},
            }
        )
        message = ws.receive_json()
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert "nope" in errors[0]["message"]


def test_import_progress_ends_when_its_subscriber_is_disabled(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # importJobProgress never checked its subscriber again: an editor disabled while
    # following their import kept receiving its progress (and, at the end, its report).
    from graph_api.schema import permissions

    monkeypatch.setattr(permissions, "RECHECK_SECONDS", 0.0)
    app = client.app
    editor = sign_in(client, "progress-editor", Role.EDITOR)
    file = tmp_path / "tables.csv"
    file.write_text("schema,name\ns,t1\n")
    transfer = TransferService(app.state.store, actor="progress-editor", broker=app.state.broker)  # type: ignore[attr-defined]
    # A job recorded but not started, so it stays QUEUED until the test says otherwise.
    job = client.portal.call(
        functools.partial(
            transfer._create,
            path=file,
            file_name=file.name,
            options=ImportOptions(),
            owns_file=False,
        )
    )
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        token = editor["Authorization"].removeprefix("Bearer ")
        ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert ws.receive_json()["type"] == "connection_ack"
        query = f'subscription {{ importJobProgress(id: "{job.id}") {{ status }} }}'
        ws.send_json({"id": "p", "type": "subscribe", "payload": {"query": query}})
        first = ws.receive_json()
        assert first["payload"]["data"]["importJobProgress"] == {"status": "QUEUED"}

        disable = 'mutation { setUserDisabled(username: "progress-editor", disabled: true) { __typename } }'
        assert "errors" not in client.post("/graphql", json={"query": disable}).json()
        running = replace(job, status=JobStatus.RUNNING)
        client.portal.call(app.state.broker.publish, job_topic(job.id), running)  # type: ignore[attr-defined]
        message = ws.receive_json()
        assert message["type"] == "next"
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "disabled" in message["payload"]["errors"][0]["message"]
        assert ws.receive_json()["type"] == "complete"
