"""Traces: off by default; with an exporter, spans per GraphQL operation, per Cypher statement
(by registry name) and per connector call arrive, and no password or secret is in any."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.testclient import TestClient

from graph_api import tracing
from graph_api.app import create_app
from graph_api.settings import Settings
from graph_api.store.client import Store
from tests.conftest import TEST_PASSWORD, sign_in
from tests.servers.sql import unused_port

SOURCE_PASSWORD = "Src-5e1b-Secret"
CREATE_SOURCE = (
    "mutation ($input: CreateSourceInput!) { createSource(input: $input) "
    "{ ... on SourceSuccess { source { id } } ... on UserError { message } } }"
)


@pytest.fixture
def exporter(settings: Settings, store: Store) -> Iterator[tuple[TestClient, InMemorySpanExporter]]:
    app = create_app(settings)
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    tracing.use(provider)
    try:
        with TestClient(app) as client:
            client.headers.update(sign_in(client, "otto"))
            yield client, spans
    finally:
        tracing.use(None)


def test_tracing_is_off_unless_an_endpoint_is_configured(settings: Settings) -> None:
    create_app(replace(settings, otel_endpoint=None))
    assert not tracing.enabled()
    assert (
        Settings.from_env(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "CLEW_SECRET_KEYS": ""}
        ).otel_endpoint
        == "http://collector:4318"
    )


def test_spans_arrive_and_carry_no_secret(
    exporter: tuple[TestClient, InMemorySpanExporter],
) -> None:
    client, spans = exporter
    # A password inline in the document, and one as a variable.
    client.post(
        "/graphql",
        json={
            "query": 'mutation SignIn { login(username: "otto", password: "'
            + TEST_PASSWORD
            + '") { __typename } }'
        },
    )
    created = client.post(
        "/graphql",
        json={
            "query": CREATE_SOURCE,
            "variables": {
                "input": {
                    "name": "billing",
                    "type": "POSTGRESQL",
                    "connection": {
                        "host": "127.0.0.1",
                        "port": unused_port(),
                        "database": "billing",
                        "username": "reader",
                        "password": SOURCE_PASSWORD,
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
    finished = spans.get_finished_spans()
    names = [span.name for span in finished]
    assert "graphql mutation SignIn" in names
    assert "graphql mutation Probe" in names
    assert "cypher sources/create" in names
    assert "connector test" in names
    cypher = next(s for s in finished if s.name == "cypher sources/create")
    assert cypher.attributes is not None
    assert cypher.attributes["db.operation.name"] == "sources/create"
    probe = next(s for s in finished if s.name == "graphql mutation Probe")
    # The connector call and the statements it led to belong to the operation's trace.
    assert probe.context is not None
    in_probe = {
        s.name for s in finished if s.context and s.context.trace_id == probe.context.trace_id
    }
    assert {"connector test", "cypher sources/record_test"} <= in_probe, in_probe
    for span in finished:
        text = span.name + repr(dict(span.attributes or {})) + repr(span.events)
        assert TEST_PASSWORD not in text, span.name
        assert SOURCE_PASSWORD not in text, span.name
