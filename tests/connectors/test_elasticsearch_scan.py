"""Discovering and scanning a real Elasticsearch 8 node: every index and alias a pattern
matches, read with three requests whatever their number.

The indices here are created by this module and deleted at its end. Data streams, which
this distribution cannot create, are scanned from a recording in test_elasticsearch.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from graph_api.connectors.base import (
    ConnectionConfig,
    ConnectorError,
    FailureReason,
    Missing,
)
from graph_api.connectors.elasticsearch import ElasticsearchConnector
from graph_api.models import SourceType, TableKind
from tests.connectors.scanning import connectors, names, scan
from tests.servers.nosql import ES_USERS, ServerInfo

ADMIN, ADMIN_PASSWORD = "clew_admin", ES_USERS["clew_admin"][0]
BULK = 30


@pytest.fixture(scope="module")
def seeded(elasticsearch: ServerInfo) -> Iterator[ServerInfo]:
    client = Elasticsearch(
        f"http://{elasticsearch.host}:{elasticsearch.port}", basic_auth=(ADMIN, ADMIN_PASSWORD)
    )
    settings = {"number_of_replicas": 0, "number_of_shards": 1}
    names = ["scan-a", "scan-b", "scan-empty", *(f"scanbulk-{i:02d}" for i in range(BULK))]
    try:
        # Deleting by wildcard is refused (action.destructive_requires_name).
        client.indices.delete(index=",".join(names), ignore_unavailable=True)
        client.indices.create(
            index="scan-a",
            settings=settings,
            mappings={
                "_meta": {"description": "Accounts"},
                "properties": {"email": {"type": "keyword"}, "age": {"type": "integer"}},
            },
        )
        client.indices.create(
            index="scan-b",
            settings=settings,
            mappings={"properties": {"email": {"type": "text"}, "city": {"type": "keyword"}}},
        )
        client.indices.create(index="scan-empty", settings=settings)
        for i in range(BULK):
            client.indices.create(
                index=f"scanbulk-{i:02d}",
                settings=settings,
                mappings={"properties": {"n": {"type": "long"}}},
            )
        for i in range(3):
            client.index(index="scan-a", document={"email": f"a{i}@x", "age": i})
        for i in range(2):
            client.index(index="scan-b", document={"email": f"b{i}@x", "city": "Oslo"})
        client.indices.refresh(index="scan-a,scan-b")
        client.indices.put_alias(index="scan-a,scan-b", name="scan-all")
        yield elasticsearch
    finally:
        client.indices.delete(index=",".join(names), ignore_unavailable=True)
        client.close()


Make = Callable[..., ElasticsearchConnector]


@pytest.fixture
def make(seeded: ServerInfo) -> Iterator[Make]:
    config = ConnectionConfig(
        type=SourceType.ELASTICSEARCH,
        host=seeded.host,
        port=seeded.port,
        username=ADMIN,
        password=ADMIN_PASSWORD,
    )
    yield from connectors(config, ElasticsearchConnector)


def test_discover_names_one_namespace_with_indices_aliases_and_data_streams(
    make: Make,
) -> None:
    (everything,) = make().discover()

    assert everything.name == "*"
    assert everything.counts[TableKind.INDEX] >= 3 + BULK
    assert everything.counts[TableKind.ALIAS] >= 1  # scan-all, and the shop's catalog
    assert everything.counts[TableKind.DATA_STREAM] == 0
    assert everything.comment and "pattern" in everything.comment


def test_a_pattern_scan_yields_indices_and_aliases_sorted_as_when_fetched_alone(
    make: Make,
) -> None:
    connector = make()
    results = scan(connector, "scan-*")

    assert [(r.name, r.kind, r.row_count) for r in results] == [
        ("scan-a", TableKind.INDEX, 3),
        ("scan-all", TableKind.ALIAS, 5),
        ("scan-b", TableKind.INDEX, 2),
        ("scan-empty", TableKind.INDEX, 0),
    ]
    for info in results:
        assert info == connector.introspect(table=info.name)
    alias = results[1]
    assert [(c.name, c.data_type) for c in alias.columns] == [
        ("age", "integer"),
        ("city", "keyword"),
        ("email", "keyword|text"),
    ]
    assert alias.notes[0] == (
        "'scan-all' is an alias of 2 indices: scan-a, scan-b; their mappings are merged."
    )
    assert results[0].comment == "Accounts"


def test_the_everything_namespace_holds_what_the_listing_shows(make: Make) -> None:
    connector = make()

    scanned = [(r.name, r.kind) for r in scan(connector, "*")]

    assert scanned == [(t.name, t.kind) for t in connector.list_tables(limit=10_000)]


def test_include_exclude_and_kinds_choose_what_is_read(make: Make) -> None:
    connector = make()

    assert names(scan(connector, "scan-*", kinds=frozenset({TableKind.ALIAS}))) == ["scan-all"]
    assert names(scan(connector, "*", include=("SCAN-?",))) == ["scan-a", "scan-b"]
    assert names(scan(connector, "scan-*", exclude=("scan-a*",))) == ["scan-b", "scan-empty"]
    assert scan(connector, "scan-*", include=("nothing",)) == []


@pytest.mark.parametrize("pattern", ["scna-*", "scan-aa"])
def test_a_pattern_that_matches_nothing_is_not_found_with_a_near_match(
    make: Make, pattern: str
) -> None:
    with pytest.raises(ConnectorError) as caught:
        scan(make(), pattern)

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
    assert caught.value.missing == Missing("index", pattern)
    assert f"matches '{pattern}'" in caught.value.message
    if pattern == "scan-aa":
        assert "Did you mean 'scan-a'" in caught.value.message


class Counting(ElasticsearchConnector):
    """Counts, at the client's transport, every request the connector sends."""

    sent: list[str] = []

    def _connect(self) -> Elasticsearch:
        client = super()._connect()
        transport = client.transport
        if not getattr(transport, "counted", False):
            send = transport.perform_request

            def counted(method: str, target: str, *args: Any, **kwargs: Any) -> Any:
                Counting.sent.append(f"{method} {target.split('?')[0]}")
                return send(method, target, *args, **kwargs)

            transport.perform_request = counted  # type: ignore[method-assign]
            transport.counted = True  # type: ignore[attr-defined]
        return client


def test_the_requests_a_scan_sends_do_not_grow_with_the_number_of_indices(make: Make) -> None:
    sent: dict[str, list[str]] = {}
    for pattern in ("scanbulk-0*", "scanbulk-*"):
        Counting.sent = []
        found = scan(make(Counting), pattern)
        assert len(found) == (10 if pattern == "scanbulk-0*" else BULK)
        sent[pattern] = Counting.sent

    # Names, mappings and document counts: one request each.
    assert [request.split(" ")[1].split("/")[-1] for request in sent["scanbulk-*"]] == [
        "scanbulk-*",
        "_mapping",
        "_search",
    ]
    assert len(sent["scanbulk-0*"]) == len(sent["scanbulk-*"]) == 3
