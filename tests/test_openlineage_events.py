"""OpenLineage events read as Marquez reads them, datasets named by the spec, facets mapped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from graph_api.errors import ValidationError
from graph_api.models import ConnectionSettings, Source, SourceType, TransformationType
from graph_api.openlineage import facets, naming
from graph_api.openlineage.events import EventKind, merge_run, parse_event

RUN = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": "START",
        "eventTime": "2026-12-02T03:00:00.000Z",
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
        "schemaURL": RUN,
        "run": {"runId": "0193a7b2-1c2d-7e3f-8a9b-0c1d2e3f4a5b", "facets": {"x": {"y": 1}}},
        "job": {"namespace": "airflow", "name": "daily.revenue"},
        "inputs": [{"namespace": "postgres://db.example:5432", "name": "shop.public.orders"}],
        "outputs": [],
        "somethingNew": [1, 2, 3],
    }
    event.update(changes)
    return event


def test_a_run_event_with_unknown_fields_reads() -> None:
    event = parse_event(_event())
    assert event.kind is EventKind.RUN
    assert event.job_key == "airflow/daily.revenue"
    assert event.inputs[0].key == "postgres://db.example:5432/shop.public.orders"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"eventTime": None}, "eventTime"),
        ({"eventTime": "yesterday"}, "eventTime"),
        ({"eventTime": "2026-12-02T03:00:00"}, "eventTime"),
        ({"producer": ""}, "producer"),
        ({"run": {"runId": "not-a-uuid"}}, "run.runId"),
        ({"run": {}}, "run.runId"),
        ({"job": {"namespace": "airflow"}}, "job.name"),
        ({"eventType": "DONE"}, "eventType"),
        ({"inputs": [{"namespace": "x"}]}, "inputs[0].name"),
        ({"outputs": "table"}, "outputs"),
    ],
)
def test_a_malformed_event_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(_event(**change))
    assert caught.value.field == field
    assert f"'{field}'" in caught.value.message


def test_the_kind_comes_from_the_end_of_schema_url() -> None:
    dataset = parse_event(
        {
            "eventTime": "2026-12-02T03:00:00Z",
            "producer": "p",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": {"namespace": "mysql://db:3306", "name": "shop.orders"},
        }
    )
    assert dataset.kind is EventKind.DATASET
    job = parse_event(_event(schemaURL="https://x/JobEvent", run=None))
    assert job.kind is EventKind.JOB and job.run_id is None
    assert parse_event(_event(schemaURL="https://x/Something")).kind is EventKind.RUN


def test_events_of_one_run_merge() -> None:
    start = parse_event(_event())
    complete = parse_event(
        _event(
            eventType="COMPLETE",
            eventTime="2026-12-02T03:05:00Z",
            inputs=[],
            outputs=[{"namespace": "postgres://db.example:5432", "name": "shop.mart.revenue"}],
            job={
                "namespace": "airflow",
                "name": "daily.revenue",
                "facets": {"sql": {"query": "x"}},
            },
        )
    )
    merged = merge_run([complete, start])
    assert merged.event_type == "COMPLETE"
    assert [d.name for d in merged.inputs] == ["shop.public.orders"]
    assert [d.name for d in merged.outputs] == ["shop.mart.revenue"]
    assert facets.sql_query(merged.job_facets) == "x"
    assert start.idempotency_key != complete.idempotency_key
    assert parse_event(_event()).idempotency_key == start.idempotency_key


def _source(kind: SourceType, **conn: Any) -> Source:
    now = datetime.now(UTC)
    return Source(
        id="s1",
        name="s",
        type=kind,
        description=None,
        active=True,
        connection=ConnectionSettings(**conn),
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize(
    ("namespace", "name", "source", "qualified"),
    [
        (
            "postgres://DB.example:5432",
            "shop.public.orders",
            _source(SourceType.POSTGRESQL, host="db.example", database="shop"),
            "public.orders",
        ),
        (
            "mysql://db.example",
            "shop.orders",
            _source(SourceType.MYSQL, host="db.example", port=3306),
            "shop.orders",
        ),
        (
            "oracle://ora:1521",
            "FREEPDB1.HR.EMPLOYEES",
            _source(SourceType.ORACLE, host="ora", service_name="freepdb1"),
            "HR.EMPLOYEES",
        ),
        (
            "mongodb://mongo:27017",
            "shop.events",
            _source(SourceType.MONGODB, host="mongo", database="shop"),
            "shop.events",
        ),
        (
            "elasticsearch://es:9200",
            "logs-2026",
            _source(SourceType.ELASTICSEARCH, host="es"),
            "logs-2026",
        ),
    ],
)
def test_the_naming_spec_finds_the_source_and_table(
    namespace: str, name: str, source: Source, qualified: str
) -> None:
    where = naming.address(namespace, name)
    assert where is not None
    assert naming.serves(source, where)
    assert where.qualified_name == qualified


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("s3://bucket", "path/file.parquet"),
        ("postgres://db:5432", "public.orders"),  # the database is missing
        ("bigquery", "project.dataset.table"),
    ],
)
def test_what_the_spec_does_not_name_maps_to_nothing(namespace: str, name: str) -> None:
    assert naming.address(namespace, name) is None


def test_another_server_or_database_is_not_the_source() -> None:
    source = _source(SourceType.POSTGRESQL, host="db.example", database="shop")
    for namespace, name in [
        ("postgres://db.example:5433", "shop.public.orders"),
        ("postgres://localhost:5432", "shop.public.orders"),
        ("postgres://db.example:5432", "other.public.orders"),
    ]:
        where = naming.address(namespace, name)
        assert where is not None and not naming.serves(source, where)


def test_column_lineage_transformations_map_to_clew_types() -> None:
    facet = {
        "columnLineage": {
            "fields": {
                "total": {
                    "inputFields": [
                        {
                            "namespace": "n",
                            "name": "a",
                            "field": "amount",
                            "transformations": [
                                {"type": "INDIRECT", "subtype": "GROUP_BY"},
                                {"type": "DIRECT", "subtype": "AGGREGATION", "description": "sum"},
                            ],
                        },
                        {
                            "namespace": "n",
                            "name": "a",
                            "field": "order_id",
                            "transformations": [{"type": "INDIRECT", "subtype": "JOIN"}],
                        },
                        {"namespace": "n", "name": "a", "field": "raw"},
                    ],
                    "transformationType": "IDENTITY",
                },
                "bad": "not an object",
            }
        }
    }
    flows = {f.input_field: f for f in facets.field_flows(facet)}
    assert flows["amount"].transformation is TransformationType.AGGREGATION
    assert flows["amount"].logic == "sum"
    assert flows["amount"].transformations == "INDIRECT/GROUP_BY, DIRECT/AGGREGATION"
    assert flows["order_id"].transformation is TransformationType.JOIN
    assert flows["raw"].transformation is TransformationType.COPY
    assert facets.transformation("DIRECT", "IDENTITY") == (TransformationType.COPY, None)
    assert facets.transformation("INDIRECT", "WINDOW") == (TransformationType.WINDOW, None)
    assert facets.transformation("INDIRECT", "PIVOT") == (
        TransformationType.CUSTOM,
        "INDIRECT/PIVOT",
    )
