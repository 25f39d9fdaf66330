"""Discovering and scanning a real FerretDB (MongoDB wire protocol): every collection of a
database sampled as `introspect` samples one, a few at a time.

The databases here are created by this module and dropped at its end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from pymongo.errors import OperationFailure

from graph_api.connectors.base import (
    ConnectionConfig,
    ConnectorError,
    FailureReason,
    Missing,
    ScanWarning,
    TableInfo,
)
from graph_api.connectors.mongodb import SCAN_WORKERS, MongoDBConnector
from graph_api.models import SourceType, TableKind
from tests.connectors.scanning import connectors, names, scan
from tests.servers.nosql import ServerInfo

DATABASES = ("scan_crm", "scan_many")


@pytest.fixture(scope="module")
def seeded(ferretdb: ServerInfo) -> Iterator[ServerInfo]:
    client: MongoClient[dict[str, Any]] = MongoClient(ferretdb.host, ferretdb.port)
    try:
        for name in DATABASES:
            client.drop_database(name)
        crm = client["scan_crm"]
        crm["accounts"].insert_many(
            [
                {"_id": i, "email": f"a{i}@example.com", "address": {"city": "Oslo"}, "tags": []}
                for i in range(1, 6)
            ]
        )
        crm["accounts"].create_index("email", unique=True)
        crm["events"].insert_many([{"kind": "click", "at": i} for i in range(3)])
        crm["notes"].insert_one({"text": "hello", "pinned": True})
        many = client["scan_many"]
        for i in range(1, 21):
            many[f"c{i:02d}"].insert_one({"n": i})
        yield ferretdb
        for name in DATABASES:
            client.drop_database(name)
    finally:
        client.close()


Make = Callable[..., MongoDBConnector]


@pytest.fixture
def make(seeded: ServerInfo) -> Iterator[Make]:
    config = ConnectionConfig(
        type=SourceType.MONGODB, host=seeded.host, port=seeded.port, database="shop"
    )
    yield from connectors(config, MongoDBConnector)


def test_discover_lists_each_database_with_its_collections(make: Make) -> None:
    found = {n.name: n for n in make().discover()}

    assert list(found) == sorted(found)
    assert {"shop", "scan_crm", "scan_many"} <= set(found)
    assert not {"admin", "config", "local"} & set(found)
    assert found["scan_crm"].counts == {TableKind.COLLECTION: 3, TableKind.VIEW: 0}
    assert found["scan_many"].counts[TableKind.COLLECTION] == 20


def test_a_scan_samples_every_collection_as_when_fetched_alone(make: Make) -> None:
    connector = make()
    results = scan(connector, "scan_crm")

    assert names(results) == ["accounts", "events", "notes"]
    for info in results:
        assert info == connector.introspect(table=info.name, schema="scan_crm")
    accounts = results[0]
    assert [(c.name, c.data_type, c.primary_key) for c in accounts.columns] == [
        ("_id", "int", True),
        ("address", "object", False),
        ("address.city", "string", False),
        ("email", "string", False),
        ("tags", "array<unknown>", False),
    ]
    assert accounts.row_count == 5
    assert "email_1 (email) unique" in accounts.indexes


def test_include_exclude_choose_what_is_sampled(make: Make) -> None:
    connector = make()

    assert names(scan(connector, "scan_crm", include=("E*", "n?tes"))) == ["events", "notes"]
    assert names(scan(connector, "scan_crm", exclude=("*s",))) == []
    assert scan(connector, "scan_crm", kinds=frozenset({TableKind.VIEW})) == []


def test_an_unknown_database_is_not_found_with_a_near_match(make: Make) -> None:
    with pytest.raises(ConnectorError) as caught:
        scan(make(), "scan_crn")

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
    assert caught.value.missing == Missing("database", "scan_crn")
    assert "Did you mean 'scan_crm'" in caught.value.message


class _Watched(MongoDBConnector):
    """Records how many collections it reads at once."""

    lock = threading.Lock()
    running = 0
    most = 0

    def _read_collection(self, database: str, name: str, kind: TableKind) -> TableInfo:
        with _Watched.lock:
            _Watched.running += 1
            _Watched.most = max(_Watched.most, _Watched.running)
        try:
            return super()._read_collection(database, name, kind)
        finally:
            with _Watched.lock:
                _Watched.running -= 1


def test_collections_are_sampled_a_few_at_a_time_and_yielded_in_name_order(make: Make) -> None:
    results = scan(make(_Watched), "scan_many")

    assert names(results) == [f"c{i:02d}" for i in range(1, 21)]
    assert 1 <= _Watched.most <= SCAN_WORKERS


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []
        self.listening = True

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.listening:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_a_server_without_sample_is_asked_for_it_once_per_scan(make: Make) -> None:
    listener = _Commands()
    monitoring.register(listener)  # only clients created from now on report to it
    connector = make()

    scan(connector, "scan_many")
    listener.listening = False  # pymongo cannot unregister it

    # FerretDB rejects $sample: the first collection learns it, the other 19 go straight to
    # find; each collection costs a find, a count and (for collections) its indexes.
    assert listener.names.count("aggregate") == 1
    assert listener.names.count("find") == 20


class _Unreadable(MongoDBConnector):
    """A server that refuses one collection to this account, as MongoDB says it."""

    def _read_collection(self, database: str, name: str, kind: TableKind) -> TableInfo:
        if name == "events":
            raise OperationFailure(
                'not authorized on scan_crm to execute command { find: "events" }', code=13
            )
        return super()._read_collection(database, name, kind)


def test_a_collection_that_cannot_be_read_is_a_warning_and_the_scan_goes_on(
    make: Make,
) -> None:
    results = scan(make(_Unreadable), "scan_crm")

    assert names(results) == ["accounts", "events", "notes"]
    warning = results[1]
    assert isinstance(warning, ScanWarning)
    assert (warning.namespace, warning.table, warning.reason) == (
        "scan_crm",
        "events",
        FailureReason.PERMISSION_DENIED,
    )
    assert "not authorized to read 'scan_crm.events'" in warning.message
