"""The MongoDB connector against a real FerretDB v1 (MongoDB wire protocol, SQLite backend).

FerretDB differs from MongoDB where it matters here, and the tests say so: it does not
implement `$sample` (so the fallback runs), and its embeddable build accepts only PLAIN
authentication without checking passwords, refusing SCRAM with error 18. A wrong password
is therefore tested at the driver boundary, with the error MongoDB itself sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure

from graph_api.connectors.base import (
    ColumnInfo,
    ConnectionConfig,
    ConnectorError,
    FailureReason,
    Missing,
    TableInfo,
    TlsConfig,
)
from graph_api.connectors.mongodb import MongoDBConnector
from graph_api.models import Field, SourceType, TableKind
from graph_api.scan_rules import diff_columns
from tests.servers.nosql import (
    ServerInfo,
    silent_socket,
    unused_port,
)

SECRET = "Sup3r-Secret-pw"


Make = Callable[..., MongoDBConnector]


@pytest.fixture
def make(ferretdb: ServerInfo) -> Iterator[Make]:
    made: list[MongoDBConnector] = []

    def build(**overrides: Any) -> MongoDBConnector:
        settings: dict[str, Any] = {
            "type": SourceType.MONGODB,
            "host": ferretdb.host,
            "port": ferretdb.port,
            "database": "shop",
            "connect_timeout": 3.0,
        }
        settings.update(overrides)
        connector = MongoDBConnector(ConnectionConfig(**settings))
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


@pytest.fixture(scope="module")
def customers(ferretdb: ServerInfo) -> TableInfo:
    connector = MongoDBConnector(
        ConnectionConfig(
            type=SourceType.MONGODB, host=ferretdb.host, port=ferretdb.port, database="shop"
        )
    )
    try:
        return connector.introspect(table="customers")
    finally:
        connector.close()


def columns(info: TableInfo) -> dict[str, ColumnInfo]:
    return {column.name: column for column in info.columns}


def observed(column: ColumnInfo) -> dict[str, int]:
    return {seen.type: seen.count for seen in column.observed_types}


# Connection tests


def test_a_reachable_server_reports_product_version_and_latency(make: Make) -> None:
    report = make().test()

    assert report.ok, report.message
    assert report.product == "MongoDB"
    assert report.version is not None and report.version.startswith("7.0")  # FerretDB's claim
    assert report.latency_ms is not None and 0 < report.latency_ms < 3000


def test_a_closed_port_is_reported_as_refused_without_waiting(make: Make) -> None:
    port = unused_port()
    started = time.monotonic()

    report = make(port=port, connect_timeout=5.0).test()

    assert report.reason is FailureReason.CONNECTION_REFUSED
    assert f"127.0.0.1:{port}" in (report.message or "")
    assert "port" in (report.hint or "")
    assert time.monotonic() - started < 1.0


def test_an_unresolvable_host_is_reported_at_once(make: Make) -> None:
    started = time.monotonic()

    report = make(host="clew-no-such-host.invalid", connect_timeout=5.0).test()

    assert report.reason is FailureReason.HOST_NOT_FOUND
    assert "clew-no-such-host.invalid" in (report.message or "")
    assert time.monotonic() - started < 2.0


def test_a_server_that_never_answers_times_out_after_the_connect_timeout(make: Make) -> None:
    with silent_socket() as (host, port):
        started = time.monotonic()
        report = make(host=host, port=port, connect_timeout=1.0).test()
        elapsed = time.monotonic() - started

    assert report.reason is FailureReason.TIMEOUT
    assert "did not answer within 1 seconds" in (report.message or "")
    assert 0.9 < elapsed < 3.0


def test_reads_classify_network_failures_the_driver_reports(make: Make) -> None:
    # Past test(), errors come from pymongo's own server selection, after the timeout.
    with pytest.raises(ConnectorError) as refused:
        make(port=unused_port(), connect_timeout=1.0).list_tables()
    with silent_socket() as (host, port), pytest.raises(ConnectorError) as silent:
        make(host=host, port=port, connect_timeout=1.0).introspect(table="customers")

    assert refused.value.reason is FailureReason.CONNECTION_REFUSED
    assert silent.value.reason is FailureReason.TIMEOUT


def test_the_server_refusing_the_authentication_is_reported_without_the_password(
    make: Make, ferretdb: ServerInfo
) -> None:
    # FerretDB sends a real error 18 (AuthenticationFailed): it refuses SCRAM outright.
    uri = f"mongodb://clew:{SECRET}@{ferretdb.host}:{ferretdb.port}/shop"

    report = make(host=None, port=None, uri=uri).test()

    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    assert SECRET not in (report.message or "") + (report.hint or "")
    assert "password" in (report.hint or "")


def test_a_wrong_password_as_mongodb_reports_it_is_an_authentication_failure(
    make: Make, monkeypatch: pytest.MonkeyPatch, ferretdb: ServerInfo
) -> None:
    # Driver boundary: MongoDB's reply to a failed SCRAM conversation, as pymongo raises it.
    reply = {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18}
    reply["codeName"] = "AuthenticationFailed"

    def refuse(self: Database[Any], command: Any, *args: Any, **kwargs: Any) -> Any:
        raise OperationFailure("Authentication failed.", 18, reply)

    monkeypatch.setattr(Database, "command", refuse)

    report = make(username="clew", password=SECRET).test()

    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    assert (
        report.message == f"{ferretdb.host}:{ferretdb.port} refused the credentials of user 'clew'."
    )
    assert report.detail == "Authentication failed."
    assert SECRET not in f"{report.message} {report.detail}"


def test_an_account_without_read_access_is_told_so(
    make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Driver boundary: MongoDB's error 13 for a user lacking `find` on the collection.
    errmsg = 'not authorized on shop to execute command { aggregate: "customers" }'

    def refuse(self: Collection[Any], *args: Any, **kwargs: Any) -> Any:
        raise OperationFailure(errmsg, 13, {"ok": 0.0, "errmsg": errmsg, "code": 13})

    monkeypatch.setattr(Collection, "aggregate", refuse)

    with pytest.raises(ConnectorError) as caught:
        make().introspect(table="customers")

    assert caught.value.reason is FailureReason.PERMISSION_DENIED
    assert "shop.customers" in caught.value.message


def test_a_password_in_a_failing_uri_never_reaches_the_message(make: Make) -> None:
    port = unused_port()
    # Percent-encoded in the URI: both spellings must be hidden.
    uri = f"mongodb://clew:{SECRET}%21@127.0.0.1:{port}/shop"

    report = make(host=None, port=None, uri=uri, connect_timeout=1.0).test()
    malformed = make(host=None, port=None, uri=f"mongodb://clew:{SECRET}@127.0.0.1:port/").test()

    assert report.reason is FailureReason.CONNECTION_REFUSED
    for failed in (report, malformed):
        assert not failed.ok
        text = f"{failed.message} {failed.hint}"
        assert SECRET not in text and f"{SECRET}!" not in text


# TLS (FerretDB's TLS listener, certificate valid for "localhost" only)


def tls(ferretdb: ServerInfo, *, ca: bool = True, verify_hostname: bool = True) -> TlsConfig:
    return TlsConfig(
        enabled=True,
        ca_certificate=ferretdb.ca_certificate if ca else None,
        verify_hostname=verify_hostname,
    )


def test_tls_with_the_servers_ca_connects(make: Make, ferretdb: ServerInfo) -> None:
    connector = make(host="localhost", port=ferretdb.tls_port, tls=tls(ferretdb))

    report = connector.test()

    assert report.ok, report.message
    ca_file = connector._ca_file.current
    assert ca_file is not None and Path(ca_file).exists()
    connector.close()
    assert not Path(ca_file).exists()  # the CA's temporary file goes with the connector


def test_tls_without_the_ca_fails_as_a_tls_error(make: Make, ferretdb: ServerInfo) -> None:
    report = make(
        host="localhost", port=ferretdb.tls_port, tls=tls(ferretdb, ca=False), connect_timeout=1.5
    ).test()

    assert report.reason is FailureReason.TLS_ERROR
    assert "certificate verify failed" in (report.detail or "")


def test_tls_to_a_name_the_certificate_does_not_cover_fails_unless_told_not_to_check(
    make: Make, ferretdb: ServerInfo
) -> None:
    strict = make(port=ferretdb.tls_port, tls=tls(ferretdb), connect_timeout=1.5).test()
    lenient = make(port=ferretdb.tls_port, tls=tls(ferretdb, verify_hostname=False)).test()

    assert strict.reason is FailureReason.TLS_ERROR
    assert "127.0.0.1" in (strict.message or "")
    assert lenient.ok, lenient.message


# Collections


def test_collections_are_listed_sorted_with_their_database(make: Make) -> None:
    tables = make().list_tables()

    assert [(t.schema, t.name, t.kind) for t in tables] == [
        ("shop", "customers", TableKind.COLLECTION),
        ("shop", "orders", TableKind.COLLECTION),
    ]
    assert [t.name for t in make().list_tables(limit=1)] == ["customers"]


def test_a_database_that_does_not_exist_is_named_with_near_matches(make: Make) -> None:
    with pytest.raises(ConnectorError) as caught:
        make(database="shopp").list_tables()

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
    assert "'shop'" in caught.value.message


def test_testing_a_source_whose_database_does_not_exist_fails_with_near_matches(
    make: Make,
) -> None:
    # The server answers, but the source names a database it does not have.
    report = make(database="shopp").test()

    assert not report.ok
    assert report.reason is FailureReason.DATABASE_NOT_FOUND
    assert "Database 'shopp' does not exist" in (report.message or "")
    assert "Did you mean 'shop'?" in (report.message or "")
    assert make().test().ok


def test_a_uri_naming_its_database_needs_no_separate_database(
    make: Make, ferretdb: ServerInfo
) -> None:
    uri = f"mongodb://{ferretdb.host}:{ferretdb.port}/shop"
    connector = make(host=None, port=None, database=None, uri=uri)

    assert connector.test().ok
    assert [t.name for t in connector.list_tables()] == ["customers", "orders"]


def test_a_collection_looked_up_in_a_missing_database_names_the_database(make: Make) -> None:
    with pytest.raises(ConnectorError) as caught:
        make().introspect(table="customers", schema="shopp")

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
    assert caught.value.missing == Missing("database", "shopp")
    assert caught.value.message.startswith("Database 'shopp' does not exist")
    assert "Did you mean 'shop'?" in caught.value.message


def test_a_field_added_to_a_collection_changes_no_other_fields_position(
    make: Make, ferretdb: ServerInfo
) -> None:
    # Fields are listed by name, so one added before others shifts every later position:
    # a position that only follows from the name is no change.
    client: MongoClient[dict[str, Any]] = MongoClient(ferretdb.host, ferretdb.port)
    collection = client["scratch"]["positions"]
    collection.drop()
    collection.insert_one({"_id": 1, "b": 1, "d": "x", "f": True})
    try:
        before = make(database="scratch").introspect(table="positions")
        catalog = [catalog_field(column) for column in before.columns]
        collection.insert_one({"_id": 2, "a": 2.5, "b": 2, "d": "y", "f": False})
        after = make(database="scratch").introspect(table="positions")
    finally:
        collection.drop()
        client.close()

    added, removed, changed = diff_columns(after, catalog)
    assert [c.name for c in after.columns] == ["_id", "a", "b", "d", "f"]
    assert (added, removed, changed) == (["a"], [], [])
    assert after.positions_from_names


def catalog_field(column: ColumnInfo) -> Field:
    """The catalog's field as createTableFromIntrospection saves a fetched column."""
    now = datetime.now(UTC)
    return Field(
        id=column.name,
        table_id="t",
        name=column.name,
        data_type=column.data_type,
        nullable=column.nullable,
        primary_key=column.primary_key,
        ordinal_position=column.ordinal_position,
        description=None,
        created_at=now,
        updated_at=now,
    )


def test_a_missing_collection_is_table_not_found_with_near_matches(make: Make) -> None:
    with pytest.raises(ConnectorError) as caught:
        make().introspect(table="customer")

    assert caught.value.reason is FailureReason.TABLE_NOT_FOUND
    assert "Did you mean 'customers'?" in caught.value.message
    assert caught.value.missing == Missing("collection", "shop.customer")


# Inferred fields


def test_id_is_the_primary_key_and_listed_first(customers: TableInfo) -> None:
    first = customers.columns[0]

    assert (first.name, first.data_type, first.primary_key, first.nullable) == (
        "_id",
        "objectId",
        True,
        False,
    )
    assert [c.name for c in customers.columns if c.primary_key] == ["_id"]
    assert [c.ordinal_position for c in customers.columns] == list(
        range(1, len(customers.columns) + 1)
    )


def test_nested_documents_become_dotted_paths(customers: TableInfo) -> None:
    fields = columns(customers)

    assert fields["address"].data_type == "object"
    assert fields["address.city"].data_type == "string"
    assert fields["address.geo.lat"].data_type == "double"
    assert observed(fields["address.city"]) == {"string": 40}
    assert not fields["address.city"].nullable  # every customer has one


def test_arrays_are_marked_with_their_element_type(customers: TableInfo) -> None:
    tags = columns(customers)["tags"]

    assert tags.is_array
    assert tags.data_type == "array<string>"
    assert observed(tags) == {"array": 40}


def test_fields_missing_from_some_documents_are_nullable(customers: TableInfo) -> None:
    fields = columns(customers)

    assert fields["phone"].nullable
    # 10 customers have a phone, 5 an explicit null, the rest none at all.
    assert observed(fields["phone"]) == {"string": 10, "null": 5}
    assert fields["phone"].data_type == "string"
    assert fields["loyalty.tier"].nullable  # only members have the loyalty document
    assert observed(fields["loyalty.tier"]) == {"string": 14}
    assert not fields["email"].nullable


def test_a_field_with_mixed_types_shows_each_type_and_count(customers: TableInfo) -> None:
    age = columns(customers)["age"]

    assert age.data_type == "mixed"
    assert observed(age) == {"int": 36, "string": 4}
    assert age.comment == "Types vary: int in 36, string in 4 of 40 sampled documents."


def test_arrays_of_documents_contribute_item_paths(make: Make) -> None:
    orders = columns(make().introspect(table="orders"))

    assert orders["items"].is_array
    assert orders["items"].data_type == "array<object>"
    assert orders["items.sku"].data_type == "string"
    assert orders["items.qty"].data_type == "int"
    assert orders["items.price"].data_type == "double"
    assert not orders["items.sku"].is_array  # the path, not the value, crosses the array
    assert orders["shipping.method"].data_type == "string"


def test_indexes_are_listed_with_their_keys(make: Make, customers: TableInfo) -> None:
    orders = make().introspect(table="orders")

    assert customers.indexes == ["_id_ (_id)", "email_1 (email) unique"]
    assert "status_1_placed_at_-1 (status, placed_at desc)" in orders.indexes
    assert "customer_id_1 (customer_id)" in orders.indexes


def test_the_sample_and_its_fallback_are_explained(customers: TableInfo) -> None:
    assert customers.row_count == 40
    assert customers.kind is TableKind.COLLECTION and customers.schema == "shop"
    (note,) = customers.notes
    assert note.startswith("Fields inferred from the first 40 of ~40 documents in natural order")
    assert "the server rejected $sample" in note


def test_a_server_with_sample_draws_at_random_and_says_so(
    make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Driver boundary: MongoDB itself runs $sample; here the same documents come back.
    pipelines: list[Any] = []
    find = Collection.find

    def aggregate(self: Collection[Any], pipeline: Any, **kwargs: Any) -> Any:
        pipelines.append(pipeline)
        return find(self, {})

    monkeypatch.setattr(Collection, "aggregate", aggregate)

    info = make().introspect(table="customers")

    assert pipelines == [[{"$sample": {"size": 1000}}]]
    assert info.notes == ["Fields inferred from 40 of ~40 documents drawn at random with $sample."]
    assert columns(info)["age"].data_type == "mixed"
