"""The Elasticsearch connector against a real Elasticsearch 8 node (security on, file-realm
users) behind the root proxy of tests/servers/nosql.py, which answers `GET /` for a
distribution without the rest-root module and passes everything else through.

One test is "recorded": data streams, which this distribution cannot create (it lacks the
data-streams module), are replayed from Elasticsearch 8's documented response shapes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

import pytest
from elasticsearch import Elasticsearch

from graph_api.connectors.base import (
    ColumnInfo,
    ConnectionConfig,
    ConnectorError,
    FailureReason,
    Missing,
    TableInfo,
    TlsConfig,
)
from graph_api.connectors.elasticsearch import ElasticsearchConnector
from graph_api.models import SourceType, TableKind
from graph_api.scan_rules import diff_columns
from tests.connectors.test_mongodb import catalog_field
from tests.servers.echo import Answer, serve_json
from tests.servers.nosql import (
    ES_USERS,
    ServerInfo,
    silent_socket,
    unused_port,
)

ADMIN, ADMIN_PASSWORD = "clew_admin", ES_USERS["clew_admin"][0]
SECRET = "Sup3r-Secret-pw"


Make = Callable[..., ElasticsearchConnector]


@pytest.fixture
def make(elasticsearch: ServerInfo) -> Iterator[Make]:
    made: list[ElasticsearchConnector] = []

    def build(**overrides: Any) -> ElasticsearchConnector:
        settings: dict[str, Any] = {
            "type": SourceType.ELASTICSEARCH,
            "host": elasticsearch.host,
            "port": elasticsearch.port,
            "username": ADMIN,
            "password": ADMIN_PASSWORD,
            "connect_timeout": 3.0,
        }
        settings.update(overrides)
        connector = ElasticsearchConnector(ConnectionConfig(**settings))
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


def as_user(elasticsearch: ServerInfo, name: str) -> dict[str, Any]:
    return {"username": name, "password": elasticsearch.users[name]}


def columns(info: TableInfo) -> dict[str, ColumnInfo]:
    return {column.name: column for column in info.columns}


# Connection tests


def test_a_reachable_node_reports_product_version_and_latency(
    make: Make, elasticsearch: ServerInfo
) -> None:
    report = make().test()

    assert report.ok, report.message
    assert report.product == "Elasticsearch"
    assert report.version == elasticsearch.version
    assert report.version.startswith("8.")
    assert report.latency_ms is not None and 0 < report.latency_ms < 3000


def test_a_closed_port_is_reported_as_refused(make: Make) -> None:
    port = unused_port()
    started = time.monotonic()

    report = make(port=port).test()

    assert report.reason is FailureReason.CONNECTION_REFUSED
    assert report.message == f"127.0.0.1:{port} refused the connection."
    assert time.monotonic() - started < 1.0


def test_an_unresolvable_host_is_host_not_found(make: Make) -> None:
    report = make(host="clew-no-such-host.invalid").test()

    assert report.reason is FailureReason.HOST_NOT_FOUND
    assert "clew-no-such-host.invalid" in (report.message or "")


def test_a_node_that_never_answers_times_out_after_the_connect_timeout(make: Make) -> None:
    with silent_socket() as (host, port):
        started = time.monotonic()
        report = make(host=host, port=port, connect_timeout=1.0).test()
        elapsed = time.monotonic() - started

    assert report.reason is FailureReason.TIMEOUT
    assert report.message == f"{host}:{port} did not answer within 1 seconds."
    assert 0.9 < elapsed < 3.0


def test_a_wrong_password_is_an_authentication_failure_without_the_password(
    make: Make,
) -> None:
    report = make(password=SECRET).test()

    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    assert "unable to authenticate user [clew_admin]" in (report.detail or "")
    assert "refused the credentials of user 'clew_admin'" in (report.message or "")
    assert SECRET not in f"{report.message} {report.hint}"


def test_an_unknown_api_key_is_an_authentication_failure(make: Make) -> None:
    report = make(username=None, password=None, api_key="Y2xldzpub3QtYS1rZXk=").test()

    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    assert "Y2xldzpub3QtYS1rZXk=" not in (report.message or "")


def test_a_password_inside_the_uri_never_reaches_the_message(
    make: Make, elasticsearch: ServerInfo
) -> None:
    good = f"http://{ADMIN}:{ADMIN_PASSWORD}@{elasticsearch.host}:{elasticsearch.port}"
    bad = f"http://{ADMIN}:{SECRET}@{elasticsearch.host}:{elasticsearch.port}"

    accepted = make(host=None, port=None, username=None, password=None, uri=good).test()
    refused = make(host=None, port=None, username=None, password=None, uri=bad).test()

    assert accepted.ok, accepted.message
    assert refused.reason is FailureReason.AUTHENTICATION_FAILED
    assert SECRET not in f"{refused.message} {refused.hint}"


def test_an_account_without_monitor_privilege_is_permission_denied(
    make: Make, elasticsearch: ServerInfo
) -> None:
    report = make(**as_user(elasticsearch, "clew_nobody")).test()

    assert report.reason is FailureReason.PERMISSION_DENIED
    assert "clew_nobody" in (report.message or "")
    assert "cluster privileges" in (report.detail or "")


# TLS (the proxy's TLS listener, certificate valid for "localhost" only)


def tls(elasticsearch: ServerInfo, *, ca: bool = True, verify_hostname: bool = True) -> TlsConfig:
    return TlsConfig(
        enabled=True,
        ca_certificate=elasticsearch.ca_certificate if ca else None,
        verify_hostname=verify_hostname,
    )


def test_tls_with_the_ca_connects(make: Make, elasticsearch: ServerInfo) -> None:
    report = make(host="localhost", port=elasticsearch.tls_port, tls=tls(elasticsearch)).test()

    assert report.ok, report.message
    assert report.version == elasticsearch.version


def test_tls_without_the_ca_is_a_tls_error(make: Make, elasticsearch: ServerInfo) -> None:
    report = make(
        host="localhost", port=elasticsearch.tls_port, tls=tls(elasticsearch, ca=False)
    ).test()

    assert report.reason is FailureReason.TLS_ERROR
    assert "certificate verify failed" in (report.detail or "")


def test_tls_to_a_name_the_certificate_does_not_cover_fails_unless_told_not_to_check(
    make: Make, elasticsearch: ServerInfo
) -> None:
    port = elasticsearch.tls_port
    strict = make(port=port, tls=tls(elasticsearch)).test()
    lenient = make(port=port, tls=tls(elasticsearch, verify_hostname=False)).test()

    assert strict.reason is FailureReason.TLS_ERROR
    assert "127.0.0.1" in (strict.message or "")
    assert lenient.ok, lenient.message


def test_tls_against_a_plain_http_port_is_a_tls_error(
    make: Make, elasticsearch: ServerInfo
) -> None:
    report = make(tls=tls(elasticsearch)).test()

    assert report.reason is FailureReason.TLS_ERROR


# Listing


def test_indices_and_aliases_are_listed_sorted_without_hidden_ones(make: Make) -> None:
    tables = make().list_tables()

    assert [(t.name, t.kind) for t in tables] == [
        ("catalog", TableKind.ALIAS),
        ("orders_private", TableKind.INDEX),
        ("products", TableKind.INDEX),
        ("products_archive", TableKind.INDEX),
    ]
    assert [t.name for t in make().list_tables(limit=2)] == ["catalog", "orders_private"]


def test_an_account_sees_only_what_it_may_read(make: Make, elasticsearch: ServerInfo) -> None:
    reader = make(**as_user(elasticsearch, "clew_reader"))

    assert [t.name for t in reader.list_tables()] == ["products"]
    with pytest.raises(ConnectorError) as caught:
        reader.introspect(table="orders_private")
    assert caught.value.reason is FailureReason.PERMISSION_DENIED
    assert "orders_private" in caught.value.message


# Mappings


@pytest.fixture(scope="module")
def products(elasticsearch: ServerInfo) -> TableInfo:
    connector = ElasticsearchConnector(
        ConnectionConfig(
            type=SourceType.ELASTICSEARCH,
            host=elasticsearch.host,
            port=elasticsearch.port,
            username=ADMIN,
            password=ADMIN_PASSWORD,
        )
    )
    try:
        return connector.introspect(table="products")
    finally:
        connector.close()


def test_the_mapping_is_flattened_to_dotted_paths(products: TableInfo) -> None:
    fields = columns(products)

    assert fields["sku"].data_type == "keyword"
    assert fields["dimensions"].data_type == "object"
    assert fields["dimensions.width_cm"].data_type == "float"
    assert fields["dimensions.packaging.material"].data_type == "keyword"
    # Name order, parents before children, runtime fields among the rest.
    assert [c.name for c in products.columns][:5] == [
        "brand",
        "created_at",
        "description",
        "dimensions",
        "dimensions.height_cm",
    ]


def test_nested_fields_are_arrays_of_objects(products: TableInfo) -> None:
    fields = columns(products)

    assert (fields["variants"].data_type, fields["variants"].is_array) == ("nested", True)
    assert fields["variants.stock"].data_type == "integer"
    assert not fields["dimensions"].is_array


def test_multi_fields_are_columns_of_their_own(products: TableInfo) -> None:
    fields = columns(products)

    assert fields["name"].data_type == "text"
    assert fields["name.keyword"].data_type == "keyword"
    assert fields["name.keyword"].comment == (
        "Multi-field of name: the same value, indexed as keyword."
    )


def test_runtime_fields_are_listed_as_such(products: TableInfo) -> None:
    brand = columns(products)["brand"]

    assert brand.data_type == "keyword"
    assert brand.comment == "Runtime field: computed at query time."


def test_no_field_is_a_primary_key_and_all_are_nullable(products: TableInfo) -> None:
    assert not any(c.primary_key for c in products.columns)
    assert all(c.nullable for c in products.columns)
    assert "each document's _id is its key" in products.notes[-1]


def test_count_and_description_come_from_the_index(products: TableInfo) -> None:
    assert products.row_count == 12  # top-level documents; nested variants do not count
    assert products.comment == "What the shop sells, one document per product."
    assert (products.kind, products.schema) == (TableKind.INDEX, None)


def test_an_alias_merges_its_indices_and_notes_conflicts(make: Make) -> None:
    catalog = make().introspect(table="catalog")
    fields = columns(catalog)

    assert catalog.row_count == 15
    assert fields["price"].data_type == "double|float"
    assert "discontinued_at" in fields  # only the archive has it
    assert catalog.notes[0] == (
        "'catalog' is an alias of 2 indices: products, products_archive; their mappings are merged."
    )
    assert catalog.notes[1] == (
        "Field price is mapped differently across indices: "
        "double in products_archive; float in products."
    )


def test_a_missing_index_is_table_not_found_with_near_matches(make: Make) -> None:
    with pytest.raises(ConnectorError) as caught:
        make().introspect(table="product")

    assert caught.value.reason is FailureReason.TABLE_NOT_FOUND
    assert "Did you mean 'products'" in caught.value.message


@pytest.fixture
def admin(elasticsearch: ServerInfo) -> Iterator[Elasticsearch]:
    """A client as the test cluster's administrator, for indices a test makes itself."""
    client = Elasticsearch(
        f"http://{elasticsearch.host}:{elasticsearch.port}", basic_auth=(ADMIN, ADMIN_PASSWORD)
    )
    made: list[str] = []

    def create(name: str, properties: dict[str, Any]) -> None:
        client.indices.delete(index=name, ignore_unavailable=True)
        client.indices.create(
            index=name,
            mappings={"properties": properties},
            settings={"number_of_replicas": 0},
        )
        made.append(name)

    client.create_test_index = create  # type: ignore[attr-defined]
    yield client
    for name in made:
        client.indices.delete(index=name, ignore_unavailable=True)
    client.close()


def test_type_parameters_are_kept_with_the_type(make: Make, admin: Elasticsearch) -> None:
    admin.create_test_index(  # type: ignore[attr-defined]
        "clew-readings",
        {
            "taken_on": {"type": "date", "format": "yyyy-MM-dd"},
            "embedding": {"type": "dense_vector", "dims": 3, "similarity": "cosine"},
            "station": {"type": "keyword"},
        },
    )

    readings = columns(make().introspect(table="clew-readings"))

    assert readings["taken_on"].data_type == "date(format=yyyy-MM-dd)"
    assert readings["embedding"].data_type.startswith("dense_vector(dims=3")
    assert "similarity=cosine" in readings["embedding"].data_type
    assert readings["station"].data_type == "keyword"


def test_a_closed_index_is_read_and_said_to_be_closed(make: Make, admin: Elasticsearch) -> None:
    admin.create_test_index(  # type: ignore[attr-defined]
        "clew-closed", {"at": {"type": "date"}, "level": {"type": "keyword"}}
    )
    admin.indices.close(index="clew-closed")

    info = make().introspect(table="clew-closed")

    assert [c.name for c in info.columns] == ["at", "level"]
    assert info.row_count is None
    assert any(note.startswith("Index 'clew-closed' is closed") for note in info.notes)
    assert any("POST /clew-closed/_open" in note for note in info.notes)


def test_a_field_added_to_a_mapping_changes_no_other_fields_position(
    make: Make, admin: Elasticsearch
) -> None:
    admin.create_test_index(  # type: ignore[attr-defined]
        "clew-positions", {"b": {"type": "keyword"}, "d": {"type": "long"}}
    )
    before = make().introspect(table="clew-positions")
    admin.indices.put_mapping(index="clew-positions", properties={"a": {"type": "keyword"}})
    after = make().introspect(table="clew-positions")

    catalog = [catalog_field(column) for column in before.columns]
    assert [c.name for c in after.columns] == ["a", "b", "d"]
    assert diff_columns(after, catalog) == (["a"], [], [])


def test_a_missing_index_names_the_index(make: Make) -> None:
    with pytest.raises(ConnectorError) as caught:
        make().introspect(table="product")

    assert caught.value.missing == Missing("index", "product")


# Recorded: data streams


def _recorded_data_stream_node() -> AbstractContextManager[int]:
    """Replays Elasticsearch 8.19's answers for a data stream `logs-web` with two backing
    indices. Shapes from the 8.19 reference: Resolve index API
    (https://www.elastic.co/guide/en/elasticsearch/reference/8.19/indices-resolve-index-api.html),
    Get mapping API (.../8.19/indices-get-mapping.html) and Search API with a terms aggregation
    (.../8.19/search-search.html, .../8.19/search-aggregations-bucket-terms-aggregation.html);
    headers as every 8.x response carries them."""
    backing = [".ds-logs-web-2025.06.01-000001", ".ds-logs-web-2025.06.08-000002"]
    mapping = {
        "properties": {
            "@timestamp": {"type": "date"},
            "message": {"type": "match_only_text"},
            "http": {"properties": {"status": {"type": "short"}}},
        }
    }
    answers: dict[str, Any] = {
        # expand_wildcards=open leaves out the hidden .ds- backing indices.
        "/_resolve/index/*": {
            "indices": [{"name": "web-archive", "attributes": ["open"]}],
            "aliases": [],
            "data_streams": [
                {"name": "logs-web", "backing_indices": backing, "timestamp_field": "@timestamp"}
            ],
        },
        "/_resolve/index/logs-web": {
            "indices": [],
            "aliases": [],
            "data_streams": [
                {"name": "logs-web", "backing_indices": backing, "timestamp_field": "@timestamp"}
            ],
        },
        "/logs-web/_mapping": {name: {"mappings": mapping} for name in backing},
        # A terms aggregation on _index counts each backing index's documents.
        "/logs-web/_search": {
            "took": 3,
            "timed_out": False,
            "_shards": {"total": 2, "successful": 2, "skipped": 0, "failed": 0},
            "hits": {"max_score": None, "hits": []},
            "aggregations": {
                "indices": {
                    "doc_count_error_upper_bound": 0,
                    "sum_other_doc_count": 0,
                    "buckets": [
                        {"key": backing[0], "doc_count": 1000},
                        {"key": backing[1], "doc_count": 523},
                    ],
                }
            },
        },
    }

    headers = {
        "X-elastic-product": "Elasticsearch",
        "content-type": "application/vnd.elasticsearch+json;compatible-with=8",
    }

    def answer(path: str, _headers: Mapping[str, str]) -> Answer:
        body = answers.get(urlsplit(path).path)
        return (200, body, headers) if body is not None else (404, {"status": 404}, headers)

    return serve_json(answer)


def test_recorded_a_data_stream_is_listed_and_resolved_to_its_backing_indices() -> None:
    with _recorded_data_stream_node() as port:
        connector = ElasticsearchConnector(
            ConnectionConfig(type=SourceType.ELASTICSEARCH, host="127.0.0.1", port=port)
        )
        try:
            listed = [t.name for t in connector.list_tables()]
            info = connector.introspect(table="logs-web")
        finally:
            connector.close()

    assert listed == ["logs-web", "web-archive"]
    assert info.kind is TableKind.DATA_STREAM
    assert info.row_count == 1523
    assert [c.name for c in info.columns] == ["@timestamp", "http", "http.status", "message"]
    assert info.notes[0].startswith("'logs-web' is a data stream of 2 indices")


def test_recorded_a_data_stream_is_discovered_and_scanned_as_when_fetched_alone() -> None:
    with _recorded_data_stream_node() as port:
        connector = ElasticsearchConnector(
            ConnectionConfig(type=SourceType.ELASTICSEARCH, host="127.0.0.1", port=port)
        )
        try:
            (namespace,) = connector.discover()
            scanned = list(connector.scan_namespace("logs-web"))
            alone = connector.introspect(table="logs-web")
        finally:
            connector.close()

    assert namespace.name == "*"
    assert namespace.counts == {
        TableKind.INDEX: 1,
        TableKind.ALIAS: 0,
        TableKind.DATA_STREAM: 1,
    }
    assert scanned == [alone]
    assert alone.kind is TableKind.DATA_STREAM and alone.row_count == 1523
