"""Discovering and scanning a real MariaDB: what a scan reads, and how few queries it sends.

The databases here are created by this module as root (over the server's socket) and
dropped at its end; the read-only test user gets what each test needs.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable, Iterator
from typing import Any

import pymysql
import pymysql.cursors
import pytest

from graph_api.connectors.base import (
    ConnectionConfig,
    ConnectorError,
    FailureReason,
    Missing,
)
from graph_api.connectors.mysql import MySqlConnector
from graph_api.models import SourceType, TableKind
from tests.connectors.scanning import connectors, names, scan, tables
from tests.servers.fixtures import SERVERS_DIR
from tests.servers.sql import TEST_USER, ServerInfo

DATABASES = ("scan_shop", "scan_staff", "scan_empty", "scan_bulk10", "scan_bulk500")

SEED = [
    "CREATE DATABASE scan_shop",
    """CREATE TABLE scan_shop.accounts (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        email VARCHAR(320) NOT NULL COMMENT 'Where to write',
        status ENUM('active','blocked') NOT NULL DEFAULT 'active',
        price DECIMAL(12,2) NULL,
        quantity INT NULL,
        total DECIMAL(14,2) AS (price * quantity) STORED,
        KEY accounts_email (email(20))
    ) ENGINE=InnoDB COMMENT='Who buys'""",
    """CREATE TABLE scan_shop.lines (
        account_id BIGINT UNSIGNED NOT NULL,
        line_no SMALLINT NOT NULL,
        note TEXT,
        PRIMARY KEY (account_id, line_no)
    ) ENGINE=InnoDB""",
    """CREATE VIEW scan_shop.account_emails AS
        SELECT id, email FROM scan_shop.accounts WHERE status = 'active'""",
    "CREATE DATABASE scan_staff",
    """CREATE TABLE scan_staff.people (
        id BIGINT NOT NULL PRIMARY KEY,
        display_name VARCHAR(100) NOT NULL,
        ssn CHAR(11) NULL
    ) ENGINE=InnoDB""",
    "CREATE DATABASE scan_empty",
    f"GRANT SELECT, SHOW VIEW ON scan_shop.* TO '{TEST_USER}'@'%'",
    f"GRANT SELECT ON scan_empty.* TO '{TEST_USER}'@'%'",
    f"GRANT SELECT (id, display_name) ON scan_staff.people TO '{TEST_USER}'@'%'",
]


def _bulk(database: str, tables: int) -> list[str]:
    return [
        f"CREATE DATABASE {database}",
        *(
            # MEMORY tables are the quickest to create and drop; the catalog is the same.
            f"CREATE TABLE {database}.t{i:04d} (id BIGINT NOT NULL PRIMARY KEY,"
            f" name VARCHAR(100), amount DECIMAL(10,2), at DATETIME) ENGINE=MEMORY"
            for i in range(1, tables + 1)
        ),
        f"GRANT SELECT ON {database}.* TO '{TEST_USER}'@'%'",
    ]


def _run_as_root(statements: list[str], *, ignore: tuple[int, ...] = ()) -> None:
    # The OS user is root or the data dir's owner: unix_socket authentication lets it in.
    conn = pymysql.connect(
        unix_socket=str(SERVERS_DIR / "mariadb" / "mariadb.sock"),
        user=pwd.getpwuid(os.geteuid()).pw_name,
        autocommit=True,
    )
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                try:
                    cursor.execute(statement)
                except pymysql.MySQLError as exc:
                    if exc.args[0] not in ignore:
                        raise
    finally:
        conn.close()


# Grants outlive a dropped database in MariaDB: they are revoked first (1141, 1147: there
# was no such grant).
CLEAN_UP = [
    f"REVOKE SELECT (id, display_name) ON scan_staff.people FROM '{TEST_USER}'@'%'",
    *(
        f"REVOKE ALL PRIVILEGES ON {name}.* FROM '{TEST_USER}'@'%'"
        for name in ("scan_shop", "scan_empty", "scan_bulk10", "scan_bulk500")
    ),
    *(f"DROP DATABASE IF EXISTS {name}" for name in DATABASES),
]


@pytest.fixture(scope="module")
def seeded(mariadb: ServerInfo) -> Iterator[ServerInfo]:
    _run_as_root(CLEAN_UP, ignore=(1141, 1146, 1147))
    _run_as_root(SEED)
    yield mariadb
    _run_as_root(CLEAN_UP, ignore=(1141, 1146, 1147))


@pytest.fixture
def bulk(seeded: ServerInfo) -> Iterator[None]:
    _run_as_root(_bulk("scan_bulk10", 10) + _bulk("scan_bulk500", 500))
    yield
    _run_as_root([s for s in CLEAN_UP if "scan_bulk" in s], ignore=(1141, 1147))


class _CountingCursor(pymysql.cursors.Cursor):
    sent: list[str] = []

    def execute(self, query: Any, args: Any = None) -> int:
        _CountingCursor.sent.append(str(query))
        return super().execute(query, args)


class CountingMySql(MySqlConnector):
    """Counts, at the driver, every query the connector sends once connected."""

    def _connect(self, *, read_timeout: float) -> Any:
        conn = super()._connect(read_timeout=read_timeout)
        conn.cursorclass = _CountingCursor
        return conn


Make = Callable[..., MySqlConnector]


@pytest.fixture
def make(seeded: ServerInfo) -> Iterator[Make]:
    config = ConnectionConfig(
        type=SourceType.MYSQL,
        host=seeded.host,
        port=seeded.port,
        database=seeded.database,
        username=seeded.user,
        password=seeded.password,
    )
    yield from connectors(config, MySqlConnector)


def test_discover_lists_the_databases_the_account_can_see_with_their_counts(
    make: Make,
) -> None:
    found = {n.name: n for n in make().discover()}

    assert list(found) == sorted(found)
    assert {"shop", "scan_shop", "scan_staff", "scan_empty"} <= set(found)
    assert "hr" not in found  # the account has no privilege there: MySQL does not show it
    assert not {"mysql", "information_schema", "performance_schema", "sys"} & set(found)
    assert found["scan_shop"].counts == {TableKind.TABLE: 2, TableKind.VIEW: 1}
    assert found["scan_empty"].counts == {TableKind.TABLE: 0, TableKind.VIEW: 0}


def test_a_scan_yields_every_table_sorted_read_as_when_fetched_alone(make: Make) -> None:
    connector = make()
    results = scan(connector, "scan_shop")

    assert names(results) == ["account_emails", "accounts", "lines"]
    for info in tables(results).values():
        assert info == connector.introspect(table=info.name, schema="scan_shop")


def test_types_keys_comments_and_indexes_are_read_as_the_database_shows_them(
    make: Make,
) -> None:
    found = tables(scan(make(), "scan_shop"))
    accounts = found["accounts"]

    assert accounts.comment == "Who buys"
    assert [
        (c.ordinal_position, c.name, c.data_type, c.nullable, c.primary_key)
        for c in accounts.columns
    ] == [
        (1, "id", "bigint(20) unsigned", False, True),
        (2, "email", "varchar(320)", False, False),
        (3, "status", "enum('active','blocked')", False, False),
        (4, "price", "decimal(12,2)", True, False),
        (5, "quantity", "int(11)", True, False),
        (6, "total", "decimal(14,2)", True, False),
    ]
    assert accounts.columns[1].comment == "Where to write"
    assert accounts.indexes == ["PRIMARY (id) primary key", "accounts_email (email(20))"]
    assert [c.name for c in found["lines"].columns if c.primary_key] == ["account_id", "line_no"]


def test_a_view_carries_its_defining_sql(make: Make) -> None:
    found = tables(scan(make(), "scan_shop"))

    view = found["account_emails"]
    assert view.kind is TableKind.VIEW
    assert view.definition is not None
    assert "`scan_shop`.`accounts`" in view.definition and "'active'" in view.definition
    assert found["accounts"].definition is None


def test_a_table_seen_through_a_column_grant_is_scanned_with_a_note(make: Make) -> None:
    (people,) = scan(make(), "scan_staff")

    assert [c.name for c in people.columns] == ["id", "display_name"]
    assert any("only some columns of 'scan_staff.people'" in note for note in people.notes)


def test_include_exclude_and_kinds_choose_what_is_read(make: Make) -> None:
    connector = make()

    assert names(scan(connector, "scan_shop", include=("ACC*",))) == [
        "account_emails",
        "accounts",
    ]
    assert names(scan(connector, "scan_shop", exclude=("*s",))) == []
    assert names(scan(connector, "scan_shop", kinds=frozenset({TableKind.TABLE}))) == [
        "accounts",
        "lines",
    ]
    assert scan(connector, "scan_empty") == []


def test_an_unknown_database_is_not_found_with_a_near_match(make: Make) -> None:
    with pytest.raises(ConnectorError) as caught:
        scan(make(), "scan_shopp")

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
    assert caught.value.missing == Missing("database", "scan_shopp")
    assert "Did you mean 'scan_shop'" in caught.value.message


@pytest.mark.usefixtures("bulk")
def test_the_queries_a_scan_sends_do_not_grow_with_the_number_of_tables(make: Make) -> None:
    sent: dict[int, int] = {}
    for count in (10, 500):
        connector = make(CountingMySql)
        _CountingCursor.sent = []
        found = tables(scan(connector, f"scan_bulk{count}"))
        assert len(found) == count
        assert [c.data_type for c in found["t0500" if count == 500 else "t0010"].columns] == [
            "bigint(20)",
            "varchar(100)",
            "decimal(10,2)",
            "datetime",
        ]
        sent[count] = len(_CountingCursor.sent)

    # Resolve the database, list its tables, then columns, indexes and grants in one each.
    assert sent[10] == sent[500] == 5
