"""/metrics in Prometheus's text format, changing as requests are made, with no user data."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from graph_api.app import create_app
from graph_api.settings import Settings
from graph_api.store.client import Store
from tests.conftest import LOGIN, sign_in
from tests.servers.sql import unused_port

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        client.headers.update(sign_in(client, "mia"))
        yield client


def scrape(client: TestClient) -> tuple[str, Samples]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_operations_statements_and_connection_tests(client: TestClient) -> None:
    _, before = scrape(client)
    for _ in range(3):
        assert (
            "errors"
            not in client.post(
                "/graphql", json={"query": "query TablesPage { tables(first: 5) { totalCount } }"}
            ).json()
        )
    created = client.post(
        "/graphql",
        json={
            "query": "mutation ($input: CreateSourceInput!) { createSource(input: $input) "
            "{ ... on SourceSuccess { source { id } } ... on UserError { message } } }",
            "variables": {
                "input": {
                    "name": "crm",
                    "type": "POSTGRESQL",
                    "connection": {
                        "host": "127.0.0.1",
                        "port": unused_port(),
                        "database": "crm",
                        "username": "reader",
                    },
                }
            },
        },
    ).json()
    source_id = created["data"]["createSource"]["source"]["id"]
    client.post(
        "/graphql",
        json={
            "query": "mutation Probe($id: ID!) { testConnection(sourceId: $id) { __typename } }",
            "variables": {"id": source_id},
        },
    )
    client.post("/graphql", json={"query": "query Broken { nosuchfield }"})
    _, after = scrape(client)

    requests = "clew_graphql_requests_total"
    assert (
        value(after, requests, type="query", operation="TablesPage", outcome="ok")
        - value(before, requests, type="query", operation="TablesPage", outcome="ok")
        == 3
    )
    assert (
        value(after, requests, type="mutation", operation="Probe", outcome="ok")
        == value(before, requests, type="mutation", operation="Probe", outcome="ok") + 1
    )
    assert value(
        after, requests, type="query", operation="Broken", outcome="GRAPHQL_VALIDATION_FAILED"
    ) > value(
        before, requests, type="query", operation="Broken", outcome="GRAPHQL_VALIDATION_FAILED"
    )
    assert (
        value(
            after,
            "clew_graphql_request_duration_seconds_count",
            type="query",
            operation="TablesPage",
        )
        >= 3
    )
    assert (
        value(
            after,
            "clew_connection_tests_total",
            operation="CONNECTION_TEST",
            result="CONNECTION_REFUSED",
        )
        == value(
            before,
            "clew_connection_tests_total",
            operation="CONNECTION_TEST",
            result="CONNECTION_REFUSED",
        )
        + 1
    )
    statements = {
        dict(labels)["statement"]
        for (name, labels) in after
        if name == "clew_cypher_statements_total"
    }
    assert {"sources/create", "sources/record_test"} <= statements
    registry = set(client.app.state.store.cypher)  # type: ignore[attr-defined]
    assert statements <= registry | {"migration"}
    assert value(after, "clew_import_jobs", state="RUNNING") == 0

    # A scan of the source that refuses connections fails, and is counted as failed.
    started = client.post(
        "/graphql",
        json={
            "query": "mutation ($id: ID!) { startScan(input: {sourceId: $id}) "
            "{ ... on StartScanSuccess { job { id } } } }",
            "variables": {"id": source_id},
        },
    ).json()
    job_id = started["data"]["startScan"]["job"]["id"]
    for _ in range(200):
        job = client.post(
            "/graphql",
            json={
                "query": "query ($id: ID!) { scanJob(id: $id) { status } }",
                "variables": {"id": job_id},
            },
        ).json()["data"]["scanJob"]
        if job["status"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.1)
    assert job["status"] == "FAILED"
    _, scanned = scrape(client)
    assert value(scanned, "clew_scan_jobs", state="FAILED") == (
        value(after, "clew_scan_jobs", state="FAILED") + 1
    )
    assert ("clew_active_subscriptions", ()) in after
    assert (
        value(after, "clew_neo4j_pool_connections", state="in_use")
        + value(after, "clew_neo4j_pool_connections", state="idle")
        >= 1
    )


def test_no_label_carries_what_a_caller_sent(client: TestClient) -> None:
    secret = "Pw-9d2e-NeverInMetrics"
    client.post("/graphql", json={"query": LOGIN, "variables": {"u": "mia", "p": secret}})
    client.post(
        "/graphql",
        json={
            "query": "query Drop_table_x_9 { tables(first: 1) { totalCount } }",
            "operationName": "Drop_table_x_9",
        },
    )
    weird = "q" + "-" * 3 + secret
    client.post("/graphql", json={"query": f"query {weird} {{ __typename }}"})
    text, samples = scrape(client)
    assert secret not in text
    operations = {
        dict(labels).get("operation")
        for (name, labels) in samples
        if name == "clew_graphql_requests_total"
    }
    assert "Drop_table_x_9" in operations
    assert all(op is None or op.replace("_", "").isalnum() for op in operations)
