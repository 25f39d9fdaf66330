"""The OpenLineage client, unchanged, pointed at a running Clew: its HTTP transport posts runs
to POST /api/v1/lineage with a Clew API token, and the lineage appears."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import httpx2 as httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import column_lineage_dataset as cl
from openlineage.client.facet_v2 import schema_dataset, sql_job
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpCompression,
    HttpConfig,
    HttpTransport,
)

from tests.live import LiveClew, live_clew_fixture  # noqa: F401

PG = "postgres://db.example:5432"
SQL = (
    "INSERT INTO mart.revenue (customer_id, total) "
    "SELECT o.customer_id, sum(o.amount) FROM public.orders o "
    "JOIN public.customers c ON c.id = o.customer_id GROUP BY o.customer_id"
)
GRAPH = """query ($id: ID!) {
  lineageGraph(rootId: $id, direction: UPSTREAM, depth: 1, includeFields: true) {
    nodes { id label }
    edges { source target level provenance transformation }
  }
}"""


def _gql(live: LiveClew, headers: dict[str, str], query: str, **variables: Any) -> Any:
    answer = httpx.post(
        live.graphql, headers=headers, json={"query": query, "variables": variables}, timeout=60
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def _catalog(live: LiveClew) -> tuple[dict[str, str], str, dict[str, str]]:
    """An editor with an API token, a registered PostgreSQL source and its two tables."""
    admin = live.sign_in()
    source = _gql(
        live,
        admin,
        "mutation ($input: CreateSourceInput!) { createSource(input: $input) {"
        " ... on SourceSuccess { source { id } } } }",
        input={
            "name": "shop-pg",
            "type": "POSTGRESQL",
            "connection": {"host": "db.example", "database": "shop", "username": "clew"},
        },
    )["createSource"]["source"]["id"]
    editor = live.create_user(admin, "ed", "EDITOR")
    tables = {}
    for schema, name, fields in [
        ("public", "orders", ["id", "customer_id", "amount"]),
        ("public", "customers", ["id"]),
        ("mart", "revenue", ["customer_id"]),
    ]:
        created = _gql(
            live,
            editor,
            "mutation ($input: CreateTableInput!) { createTable(input: $input) {"
            " ... on CreateTableSuccess { table { id } } } }",
            input={
                "name": name,
                "schema": schema,
                "sourceId": source,
                "fields": [{"name": f} for f in fields],
            },
        )
        tables[f"{schema}.{name}"] = created["createTable"]["table"]["id"]
    token = _gql(
        live,
        editor,
        'mutation { createApiToken(name: "airflow") { ... on CreateApiTokenSuccess { secret } } }',
    )["createApiToken"]["secret"]
    return editor, token, tables


def _client(live: LiveClew, token: str, *, gzip: bool = False) -> OpenLineageClient:
    config = HttpConfig(
        url=live.url,
        auth=ApiKeyTokenProvider({"apiKey": token}),
        compression=HttpCompression.GZIP if gzip else None,
        timeout=60.0,  # the machine running the tests may be busy
    )
    return OpenLineageClient(transport=HttpTransport(config))


def _run(
    state: RunState,
    run_id: str,
    *,
    outputs: bool,
    orders: tuple[str, str] = (PG, "shop.public.orders"),
) -> RunEvent:
    revenue_facets: dict[str, Any] = {
        "schema": schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(name="customer_id", type="bigint"),
                schema_dataset.SchemaDatasetFacetFields(name="total", type="numeric"),
            ]
        ),
        "columnLineage": cl.ColumnLineageDatasetFacet(
            fields={
                "customer_id": cl.Fields(
                    inputFields=[
                        cl.InputField(
                            namespace=orders[0],
                            name=orders[1],
                            field="customer_id",
                            transformations=[cl.Transformation(type="DIRECT", subtype="IDENTITY")],
                        )
                    ]
                ),
                "total": cl.Fields(
                    inputFields=[
                        cl.InputField(
                            namespace=orders[0],
                            name=orders[1],
                            field="amount",
                            transformations=[
                                cl.Transformation(type="DIRECT", subtype="AGGREGATION")
                            ],
                        ),
                        cl.InputField(
                            namespace=PG,
                            name="shop.public.customers",
                            field="id",
                            transformations=[cl.Transformation(type="INDIRECT", subtype="JOIN")],
                        ),
                    ]
                ),
            }
        ),
    }
    return RunEvent(
        eventType=state,
        eventTime=f"2026-12-02T03:0{0 if state is RunState.START else 5}:00.000Z",
        run=Run(runId=run_id),
        job=Job(
            namespace="airflow",
            name="daily.revenue",
            facets={"sql": sql_job.SQLJobFacet(query=SQL)},
        ),
        producer="https://github.com/apache/airflow",
        inputs=[
            InputDataset(namespace=orders[0], name=orders[1]),
            InputDataset(namespace=PG, name="shop.public.customers"),
        ],
        outputs=[OutputDataset(namespace=PG, name="shop.mart.revenue", facets=revenue_facets)]
        if outputs
        else [],
    )


def test_a_run_sent_by_the_openlineage_client_becomes_lineage(live_clew: LiveClew) -> None:
    editor, token, tables = _catalog(live_clew)
    client = _client(live_clew, token, gzip=True)
    run_id = str(uuid.uuid4())
    client.emit(_run(RunState.START, run_id, outputs=False))
    graph = _gql(live_clew, editor, GRAPH, id=tables["mart.revenue"])["lineageGraph"]
    assert graph["edges"] == []  # nothing until the run completes
    client.emit(_run(RunState.COMPLETE, run_id, outputs=True))
    client.emit(_run(RunState.COMPLETE, run_id, outputs=True))  # the same event again

    graph = _gql(live_clew, editor, GRAPH, id=tables["mart.revenue"])["lineageGraph"]
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    edges = sorted(
        (labels[e["source"]], labels[e["target"]], e["level"], e["provenance"], e["transformation"])
        for e in graph["edges"]
    )
    assert edges == [
        ("public.customers", "mart.revenue", "TABLE", "INFERRED", "ETL"),
        ("public.customers.id", "mart.revenue.total", "FIELD", "INFERRED", "JOIN"),
        ("public.orders", "mart.revenue", "TABLE", "INFERRED", "ETL"),
        ("public.orders.amount", "mart.revenue.total", "FIELD", "INFERRED", "AGGREGATION"),
        ("public.orders.customer_id", "mart.revenue.customer_id", "FIELD", "INFERRED", "COPY"),
    ]
    # Each edge names the job as its origin, with the run and the job's SQL as evidence.
    queue = _gql(
        live_clew,
        editor,
        "{ reviewQueue(level: FIELD) { edges { assertions { origin { kind key }"
        " evidence { key value } } } } }",
    )["reviewQueue"]["edges"]
    assert len(queue) == 3
    for edge in queue:
        [assertion] = edge["assertions"]
        assert assertion["origin"] == {"kind": "OPENLINEAGE", "key": "airflow/daily.revenue"}
        evidence = {e["key"]: e["value"] for e in assertion["evidence"]}
        assert (evidence["runId"], evidence["sql"], evidence["facet"]) == (
            run_id,
            SQL,
            "columnLineage",
        )
    # The schema facet added the field the table lacked, with its type.
    fields = _gql(
        live_clew,
        editor,
        "query ($id: ID!) { table(id: $id) { fields { name dataType } } }",
        id=tables["mart.revenue"],
    )["table"]["fields"]
    assert {"name": "total", "dataType": "numeric"} in fields


def test_a_dataset_that_matches_nothing_is_listed_and_mapped_by_hand(
    live_clew: LiveClew,
) -> None:
    editor, token, tables = _catalog(live_clew)
    client = _client(live_clew, token)
    landing = ("s3://landing", "orders/2026-12-02.parquet")
    client.emit(_run(RunState.COMPLETE, str(uuid.uuid4()), outputs=True, orders=landing))
    listed = _gql(
        live_clew,
        editor,
        "{ openLineageDatasets { totalCount nodes { id namespace name tableId jobs } } }",
    )["openLineageDatasets"]
    assert listed["totalCount"] == 1
    [dataset] = listed["nodes"]
    assert (dataset["namespace"], dataset["name"], dataset["tableId"], dataset["jobs"]) == (
        "s3://landing",
        "orders/2026-12-02.parquet",
        None,
        ["airflow/daily.revenue"],
    )
    graph = _gql(live_clew, editor, GRAPH, id=tables["mart.revenue"])["lineageGraph"]
    labels = {n["label"] for n in graph["nodes"]}
    assert "public.customers" in labels and "public.orders" not in labels  # never guessed
    mapped = _gql(
        live_clew,
        editor,
        "mutation ($id: ID!, $t: ID) { mapOpenLineageDataset(id: $id, tableId: $t) {"
        " ... on MapOpenLineageDatasetSuccess { dataset { mappedBy table { qualifiedName } } } } }",
        id=dataset["id"],
        t=tables["public.orders"],
    )["mapOpenLineageDataset"]["dataset"]
    assert mapped == {"mappedBy": "ed", "table": {"qualifiedName": "public.orders"}}
    graph = _gql(live_clew, editor, GRAPH, id=tables["mart.revenue"])["lineageGraph"]
    labels = {n["label"] for n in graph["nodes"]}
    assert {"public.orders", "public.orders.amount", "public.orders.customer_id"} <= labels


def _post(live: LiveClew, token: str | None, body: bytes, **headers: str) -> httpx.Response:
    sent = {"Content-Type": "application/json", **headers}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{live.url}/api/v1/lineage", content=body, headers=sent, timeout=60)


def test_the_receiver_answers_as_marquez_does(live_clew: LiveClew) -> None:
    _, token, _ = _catalog(live_clew)
    event = {
        "eventType": "START",
        "eventTime": "2026-12-02T03:00:00Z",
        "producer": "curl",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "cron", "name": "nightly"},
        "someFutureField": {"a": 1},
    }
    assert _post(live_clew, None, json.dumps(event).encode()).status_code == 401
    assert _post(live_clew, "not-a-token", json.dumps(event).encode()).status_code == 401
    ok = _post(
        live_clew, token, gzip.compress(json.dumps(event).encode()), **{"Content-Encoding": "gzip"}
    )
    assert (ok.status_code, ok.content) == (201, b"")
    bad = _post(live_clew, token, json.dumps({**event, "run": {"runId": "7"}}).encode())
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "run.runId"
    bomb = _post(
        live_clew, token, gzip.compress(b" " * (9 * 1024**2)), **{"Content-Encoding": "gzip"}
    )
    assert (bomb.status_code, bomb.json()["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    broken = _post(live_clew, token, b"{not json")
    assert (broken.status_code, broken.json()["error"]["field"]) == (400, "body")
    dataset = DatasetEvent(
        eventTime="2026-12-02T03:00:00Z",
        producer="p",
        dataset=StaticDataset(namespace=PG, name="shop.public.orders"),
    )
    _client(live_clew, token).emit(dataset)


@pytest.mark.parametrize("role", ["VIEWER"])
def test_a_viewer_may_not_send_lineage(live_clew: LiveClew, role: str) -> None:
    admin = live_clew.sign_in()
    viewer = live_clew.create_user(admin, "vic", role)
    token = _gql(
        live_clew,
        viewer,
        'mutation { createApiToken(name: "x") { ... on CreateApiTokenSuccess { secret } } }',
    )["createApiToken"]["secret"]
    refused = _post(live_clew, token, b"{}")
    assert refused.status_code == 403
    assert "EDITOR" in refused.json()["error"]["message"]
