"""The contract every connector keeps, run against each connector's real test server (Oracle,
which cannot run here, only where the contract needs no server). A new connector adds one
`Case` below and its test server in tests/servers/.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from graph_api.connectors.base import (
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    TableFilter,
    TableInfo,
)
from graph_api.connectors.registry import connector_class, create_connector, registered
from graph_api.models import SourceType, TableKind
from tests.servers.nosql import ES_USERS
from tests.servers.sql import unused_port


@dataclass(frozen=True)
class Case:
    type: SourceType
    server: str  # the fixture of its test server
    settings: Callable[[Any], dict[str, Any]]  # connection settings from the server's info
    table: str  # a table (collection, index) the server holds
    namespace: str  # what discover names the namespace holding it
    schema: str | None = None


CASES = [
    Case(
        SourceType.POSTGRESQL,
        "postgres",
        lambda s: {"database": s.database, "username": s.user, "password": s.password},
        "customers",
        "public",
    ),
    Case(
        SourceType.MYSQL,
        "mariadb",
        lambda s: {"database": s.database, "username": s.user, "password": s.password},
        "customers",
        "shop",
    ),
    Case(SourceType.MONGODB, "ferretdb", lambda s: {"database": "shop"}, "customers", "shop"),
    Case(
        SourceType.ELASTICSEARCH,
        "elasticsearch",
        lambda s: {"username": "clew_admin", "password": ES_USERS["clew_admin"][0]},
        "products",
        "*",
    ),
]


@pytest.fixture(params=CASES, ids=lambda case: case.type.value)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def make(case: Case, request: pytest.FixtureRequest) -> Iterator[Callable[..., Connector]]:
    server = request.getfixturevalue(case.server)
    made: list[Connector] = []

    def build(**overrides: Any) -> Connector:
        settings = {
            "type": case.type,
            "host": server.host,
            "port": server.port,
            "connect_timeout": 3.0,
            **case.settings(server),
            **overrides,
        }
        connector = create_connector(ConnectionConfig(**settings))
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


def test_every_source_type_has_exactly_one_connector_with_a_default_port() -> None:
    connectors = registered()

    assert set(connectors) == set(SourceType)
    for source_type, cls in connectors.items():
        assert cls.type is source_type
        assert 0 < cls.default_port < 65536


def test_listing_the_connectors_loads_no_driver() -> None:
    drivers = ["psycopg", "pymysql", "oracledb", "pymongo", "bson", "elasticsearch"]
    code = (
        "import sys\n"
        "from graph_api.connectors.registry import registered\n"
        "registered()\n"
        f"print([d for d in {drivers!r} if d in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


def test_a_reachable_server_reports_product_version_and_latency(
    make: Callable[..., Connector],
) -> None:
    report = make().test()

    assert report.ok, report.message
    assert report.product and report.version
    assert report.latency_ms is not None and report.latency_ms > 0


def test_a_closed_port_is_a_report_never_an_exception(make: Callable[..., Connector]) -> None:
    report = make(port=unused_port()).test()

    assert not report.ok
    assert report.reason is FailureReason.CONNECTION_REFUSED
    assert report.message and report.hint


def test_tables_are_sorted_bounded_and_include_the_known_one(
    make: Callable[..., Connector], case: Case
) -> None:
    connector = make()
    tables = connector.list_tables()

    names = [(t.schema or "", t.name) for t in tables]
    assert names == sorted(names)
    assert case.table in [t.name for t in tables]
    assert len(connector.list_tables(limit=1)) == 1
    assert connector.list_tables(limit=0) == []


def test_a_table_has_columns_numbered_from_one(make: Callable[..., Connector], case: Case) -> None:
    info = make().introspect(table=case.table, schema=case.schema)

    assert info.name == case.table
    positions = [c.ordinal_position for c in info.columns]
    assert positions and positions == sorted(set(positions)) and positions[0] == 1
    assert all(c.name and c.data_type for c in info.columns)


def test_a_missing_table_is_not_found_and_named(make: Callable[..., Connector], case: Case) -> None:
    with pytest.raises(ConnectorError) as caught:
        make().introspect(table=case.table + "x")

    assert caught.value.reason is FailureReason.TABLE_NOT_FOUND
    assert caught.value.missing is not None
    assert caught.value.missing.name.endswith(case.table + "x")
    assert f"'{case.table}" in caught.value.message  # a near match is offered


def test_close_is_safe_twice_and_the_connector_works_after_it(
    make: Callable[..., Connector], case: Case
) -> None:
    connector = make()
    connector.introspect(table=case.table, schema=case.schema)
    connector.close()
    connector.close()

    assert connector.introspect(table=case.table, schema=case.schema).columns


def test_discover_names_the_namespace_holding_the_known_table_with_counts(
    make: Callable[..., Connector], case: Case
) -> None:
    namespaces = make().discover()

    names = [n.name for n in namespaces]
    assert names == sorted(names) and case.namespace in names
    held = next(n for n in namespaces if n.name == case.namespace)
    assert held.counts and all(count >= 0 for count in held.counts.values())
    assert sum(held.counts.values()) >= 1


def test_a_scan_reads_the_known_table_as_introspect_does(
    make: Callable[..., Connector], case: Case
) -> None:
    connector = make()

    (scanned,) = connector.scan_namespace(
        case.namespace, table_filter=TableFilter(include=(case.table,))
    )

    assert isinstance(scanned, TableInfo)
    assert scanned == connector.introspect(table=case.table, schema=case.schema)


def test_a_scan_of_a_namespace_that_does_not_exist_is_not_found(
    make: Callable[..., Connector], case: Case
) -> None:
    with pytest.raises(ConnectorError) as caught:
        list(make().scan_namespace(case.namespace + "x_no_such"))

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
    assert caught.value.missing is not None


@pytest.mark.parametrize(
    ("include", "exclude", "kinds", "name", "kind", "matches"),
    [
        ((), (), None, "Orders", TableKind.TABLE, True),  # no filter: everything
        (("ord*",), (), None, "Orders", TableKind.TABLE, True),  # globs ignore case
        (("ord?rs",), (), None, "ORDERS", TableKind.TABLE, True),
        (("ord*",), (), None, "customer_orders", TableKind.TABLE, False),  # whole name
        (("*",), ("*_tmp",), None, "orders_TMP", TableKind.TABLE, False),  # exclude wins
        ((), (), frozenset({TableKind.VIEW}), "orders", TableKind.TABLE, False),
        (("a*", "o*"), (), frozenset({TableKind.TABLE}), "orders", TableKind.TABLE, True),
    ],
)
def test_a_table_filter_matches_globs_ignoring_case_and_kinds(
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    kinds: frozenset[TableKind] | None,
    name: str,
    kind: TableKind,
    matches: bool,
) -> None:
    table_filter = TableFilter(include=include, exclude=exclude, kinds=kinds)

    assert table_filter.matches(name, kind) is matches


@pytest.mark.parametrize("source_type", list(SourceType), ids=lambda t: t.value)
def test_each_connector_refuses_an_api_key_unless_it_takes_one(source_type: SourceType) -> None:
    cls = connector_class(source_type)
    settings = {"username": "u", "database": "d", "service_name": None, "sid": None}
    if source_type is SourceType.ORACLE:
        settings["service_name"] = "FREEPDB1"

    cls.check_settings(settings, {})
    if cls.accepts_api_key:
        cls.check_settings(settings, {"api_key": "k"})
    else:
        with pytest.raises(ValueError, match="API keys are for Elasticsearch"):
            cls.check_settings(settings, {"api_key": "k"})
