"""The MySQL/MariaDB connector against a real MariaDB server (Debian's package).

The server and its `shop` database come from tests/servers/sql.py: a test user with SELECT
on `shop` and nothing else, `customers`/`orders` with comments and keys, a view, and a
database `hr` the user may not read. MariaDB runs with lower_case_table_names=0, as on any
Linux server: table names are case-sensitive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pymysql
import pytest

from graph_api.connectors.base import (
    ColumnInfo,
    ConnectionConfig,
    ConnectorError,
    FailureReason,
    Missing,
    TableInfo,
    TlsConfig,
)
from graph_api.connectors.mysql import MySqlConnector, classify, product_and_version
from graph_api.connectors.registry import create_connector
from graph_api.models import SourceType, TableKind
from tests.servers.sql import (
    ServerInfo,
    silent_socket,
    unused_port,
)

WRONG_PASSWORD = "Wr0ng-pw-77c2"


Make = Callable[..., MySqlConnector]


@pytest.fixture
def make(mariadb: ServerInfo) -> Iterator[Make]:
    made: list[MySqlConnector] = []

    def build(**overrides: Any) -> MySqlConnector:
        settings: dict[str, Any] = {
            "type": SourceType.MYSQL,
            "host": mariadb.host,
            "port": mariadb.port,
            "database": mariadb.database,
            "username": mariadb.user,
            "password": mariadb.password,
            "connect_timeout": 3.0,
        }
        settings.update(overrides)
        connector = MySqlConnector(ConnectionConfig(**settings))
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


@pytest.fixture(scope="module")
def customers(mariadb: ServerInfo) -> TableInfo:
    connector = MySqlConnector(
        ConnectionConfig(
            type=SourceType.MYSQL,
            host=mariadb.host,
            port=mariadb.port,
            database=mariadb.database,
            username=mariadb.user,
            password=mariadb.password,
        )
    )
    try:
        return connector.introspect(table="customers")
    finally:
        connector.close()


def columns(info: TableInfo) -> dict[str, ColumnInfo]:
    return {column.name: column for column in info.columns}


def failure(call: Callable[[], object]) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        call()
    return caught.value


# Connection tests


def test_a_reachable_server_reports_product_version_and_latency(
    make: Make, mariadb: ServerInfo
) -> None:
    report = make().test()

    assert report.ok, report.message
    assert report.product == "MariaDB"
    with (
        pymysql.connect(
            host=mariadb.host, port=mariadb.port, user=mariadb.user, password=mariadb.password
        ) as conn,
        conn.cursor() as cursor,
    ):
        cursor.execute("SELECT VERSION()")
        (version,) = cursor.fetchone()
    assert report.version == version.split("-")[0]
    assert report.latency_ms is not None and 0 < report.latency_ms < 3000


def test_mysql_and_mariadb_version_strings_are_told_apart() -> None:
    assert product_and_version("10.11.19-MariaDB-0+deb12u1") == ("MariaDB", "10.11.19")
    assert product_and_version("8.0.36") == ("MySQL", "8.0.36")
    assert product_and_version("8.4.3-commercial") == ("MySQL", "8.4.3")


def test_the_registry_builds_this_connector_for_mysql_sources() -> None:
    connector = create_connector(ConnectionConfig(type=SourceType.MYSQL, host="h"))

    assert isinstance(connector, MySqlConnector)


def test_a_wrong_password_is_an_authentication_failure_that_never_shows_it(
    make: Make, mariadb: ServerInfo
) -> None:
    report = make(password=WRONG_PASSWORD).test()

    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    # The server's own words are the detail; the message is Clew's classified sentence.
    assert f"Access denied for user '{mariadb.user}'" in (report.detail or "")
    assert "refused the credentials" in (report.message or "")
    assert "(error 1045)" in (report.message or "")
    assert "password" in (report.hint or "")
    for secret in (WRONG_PASSWORD, mariadb.password):
        assert secret not in repr(report)


def test_a_password_inside_a_uri_is_used_and_never_shown(make: Make, mariadb: ServerInfo) -> None:
    good = f"mysql://{mariadb.user}:{mariadb.password}@{mariadb.host}:{mariadb.port}/shop"
    bad = good.replace(mariadb.password, WRONG_PASSWORD)
    unset = {"host": None, "port": None, "database": None, "username": None, "password": None}

    assert make(uri=good, **unset).test().ok
    report = make(uri=bad, **unset).test()
    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    assert WRONG_PASSWORD not in repr(report)


def test_a_closed_port_is_refused_at_once(make: Make) -> None:
    port = unused_port()
    started = time.monotonic()

    report = make(port=port).test()

    assert report.reason is FailureReason.CONNECTION_REFUSED
    assert f"127.0.0.1:{port}" in (report.message or "")
    assert "port" in (report.hint or "")
    assert time.monotonic() - started < 1.0


def test_an_unresolvable_host_is_reported_as_such(make: Make) -> None:
    report = make(host="no-such-host.invalid").test()

    assert report.reason is FailureReason.HOST_NOT_FOUND
    assert "no-such-host.invalid" in (report.message or "")


def test_a_server_that_accepts_but_never_answers_times_out(make: Make) -> None:
    with silent_socket() as (host, port):
        started = time.monotonic()
        report = make(host=host, port=port, connect_timeout=1.0).test()
        elapsed = time.monotonic() - started

    assert report.reason is FailureReason.TIMEOUT
    assert "no answer within the time limit" in (report.message or "")
    assert 0.9 < elapsed < 3.0


def test_a_database_that_does_not_exist_is_database_not_found(make: Make) -> None:
    # MariaDB answers 1044 (access denied to database) to an account without global
    # privileges, whether or not the database exists; the hint says both.
    report = make(database="shopp").test()

    assert report.reason is FailureReason.DATABASE_NOT_FOUND
    assert "'shopp'" in (report.message or "")
    assert "does not exist" in (report.hint or "")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (pymysql.err.OperationalError(1049, "Unknown database 'shopp'"),
         FailureReason.DATABASE_NOT_FOUND),
        (pymysql.err.OperationalError(1142, "SELECT command denied to user 'u'@'h' for table "
                                      "`hr`.`salaries`"), FailureReason.PERMISSION_DENIED),
        (pymysql.err.ProgrammingError(1146, "Table 'shop.nope' doesn't exist"),
         FailureReason.TABLE_NOT_FOUND),
        (pymysql.err.OperationalError(1969, "Query execution was interrupted "
                                      "(max_statement_time exceeded)"), FailureReason.TIMEOUT),
        (pymysql.err.OperationalError(3024, "Query execution was interrupted, maximum "
                                      "statement execution time exceeded"),
         FailureReason.TIMEOUT),
        (pymysql.err.OperationalError(1130, "Host '10.0.0.9' is not allowed to connect to "
                                      "this MariaDB server"),
         FailureReason.AUTHENTICATION_FAILED),
        (pymysql.err.OperationalError(3159, "Connections using insecure transport are "
                                      "prohibited while --require_secure_transport=ON."),
         FailureReason.TLS_ERROR),
        (pymysql.err.OperationalError(2005, "Unknown MySQL server host 'db' (-2)"),
         FailureReason.HOST_NOT_FOUND),
    ],
)  # fmt: skip
def test_server_and_client_errors_are_classified(
    error: pymysql.MySQLError, reason: FailureReason
) -> None:
    assert classify(error)[0] is reason


def test_a_host_the_server_does_not_admit_says_how_to_admit_it() -> None:
    error = pymysql.err.OperationalError(1130, "Host '10.0.0.9' is not allowed to connect")

    assert "'user'@'%'" in (classify(error)[1] or "")


def test_tls_against_a_server_without_tls_is_a_tls_error(make: Make) -> None:
    report = make(tls=TlsConfig(enabled=True)).test()

    assert report.reason is FailureReason.TLS_ERROR
    assert "(error 2026)" in (report.detail or "")
    assert "TLS handshake failed" in (report.message or "")


def test_catalog_reads_report_connection_failures_the_same_way(make: Make) -> None:
    error = failure(lambda: make(password=WRONG_PASSWORD).introspect(table="customers"))

    assert error.reason is FailureReason.AUTHENTICATION_FAILED
    assert WRONG_PASSWORD not in f"{error.message} {error.hint}"


# Listing


def test_tables_and_views_of_the_database_are_listed_sorted_with_their_kind(make: Make) -> None:
    tables = make().list_tables()

    assert [(t.schema, t.name, t.kind) for t in tables] == [
        ("shop", "customer_orders", TableKind.VIEW),
        ("shop", "customers", TableKind.TABLE),
        ("shop", "orders", TableKind.TABLE),
    ]


def test_without_a_database_every_readable_one_is_listed(make: Make) -> None:
    tables = make(database=None).list_tables(limit=2)

    assert [(t.schema, t.name) for t in tables] == [
        ("shop", "customer_orders"),
        ("shop", "customers"),
    ]


def test_listing_a_database_the_account_cannot_see_says_so(make: Make) -> None:
    error = failure(lambda: make().list_tables(schema="hr"))

    assert error.reason is FailureReason.DATABASE_NOT_FOUND
    assert "Database 'hr' was not found" in error.message
    assert "no privileges" in error.message


# Introspection


def test_customers_columns_are_exact_and_in_order(customers: TableInfo) -> None:
    assert [
        (c.ordinal_position, c.name, c.data_type, c.nullable, c.primary_key)
        for c in customers.columns
    ] == [
        (1, "id", "bigint(20)", False, True),
        (2, "email", "varchar(320)", False, False),
        (3, "full_name", "varchar(200)", True, False),
        (4, "created_at", "timestamp", True, False),
        (5, "loyalty_points", "int(11) unsigned", False, False),
        (6, "status", "enum('active','blocked')", False, False),
    ]


def test_comments_of_the_table_and_its_columns_are_read(customers: TableInfo) -> None:
    assert customers.comment == "People who have placed or may place orders"
    assert columns(customers)["email"].comment == "Login and contact address; unique per customer"
    assert columns(customers)["id"].comment is None


def test_the_row_count_is_the_engine_estimate(customers: TableInfo) -> None:
    assert (customers.schema, customers.name, customers.kind) == (
        "shop",
        "customers",
        TableKind.TABLE,
    )
    assert customers.row_count == 3  # analyzed after seeding
    assert any("estimate" in note for note in customers.notes)


def test_a_composite_primary_key_marks_each_of_its_columns(make: Make) -> None:
    orders = make().introspect(table="orders", schema="shop")

    assert [c.name for c in orders.columns if c.primary_key] == ["customer_id", "order_no"]
    assert columns(orders)["amount"].data_type == "decimal(10,2)"
    assert columns(orders)["ordered_at"].data_type == "datetime(3)"


def test_a_view_is_a_view_without_row_count_or_the_word_view_as_comment(make: Make) -> None:
    view = make().introspect(table="customer_orders")

    assert view.kind is TableKind.VIEW
    assert view.comment is None
    assert view.row_count is None
    assert [c.name for c in view.columns] == ["customer_id", "email", "order_no", "amount"]


def test_a_table_name_in_another_case_is_not_found_on_a_case_sensitive_server(
    make: Make,
) -> None:
    error = failure(lambda: make().introspect(table="CUSTOMERS"))

    assert error.reason is FailureReason.TABLE_NOT_FOUND
    assert "case-sensitive on this server" in error.message
    assert "Did you mean 'customers'?" in error.message


def test_indexes_are_listed_with_their_keys_and_kind(make: Make) -> None:
    assert make().introspect(table="orders").indexes == [
        "PRIMARY (customer_id, order_no) primary key"
    ]


def test_a_column_level_grant_is_noted_with_its_indexes(make: Make, mariadb: ServerInfo) -> None:
    # information_schema shows the account only the two columns it may read; MySQL offers
    # no way to learn the others' names, so the note says the list is partial.
    staff = make().introspect(table="staff", schema="workforce")

    assert [c.name for c in staff.columns] == ["id", "display_name"]
    note = next(n for n in staff.notes if "only some columns" in n)
    assert (
        f"The account '{mariadb.user}' has SELECT on only some columns of 'workforce.staff'" in note
    )
    assert "GRANT SELECT ON `workforce`.`staff`" in note
    assert not any("only some columns" in n for n in make().introspect(table="customers").notes)


def test_what_was_not_found_is_named_by_kind(make: Make) -> None:
    table = failure(lambda: make().introspect(table="custmers"))
    database = failure(lambda: make().list_tables(schema="shopp"))

    assert (table.reason, table.missing) == (
        FailureReason.TABLE_NOT_FOUND,
        Missing("table", "shop.custmers"),
    )
    assert (database.reason, database.missing) == (
        FailureReason.DATABASE_NOT_FOUND,
        Missing("database", "shopp"),
    )


def test_a_missing_table_is_not_found_with_a_near_match_and_what_to_check(make: Make) -> None:
    error = failure(lambda: make().introspect(table="custmers"))

    assert error.reason is FailureReason.TABLE_NOT_FOUND
    assert error.message.startswith("Table 'custmers' was not found in database 'shop'")
    assert "Did you mean 'customers'?" in error.message
    assert "table name" in error.hint and "database" in error.hint


def test_a_table_the_account_may_not_read_is_permission_denied(
    make: Make, mariadb: ServerInfo
) -> None:
    error = failure(lambda: make().introspect(table="salaries", schema="hr"))

    assert error.reason is FailureReason.PERMISSION_DENIED
    assert f"'{mariadb.user}' may not read 'hr.salaries'" in error.message
    assert "GRANT SELECT ON `hr`.`salaries`" in error.hint


def test_names_with_backticks_are_quoted_not_injected(make: Make) -> None:
    error = failure(lambda: make().introspect(table="x` UNION SELECT 1 --"))

    assert error.reason is FailureReason.TABLE_NOT_FOUND


# Connection reuse


def _kill_sessions_of(mariadb: ServerInfo) -> int:
    with (
        pymysql.connect(
            host=mariadb.host,
            port=mariadb.port,
            user=mariadb.user,
            password=mariadb.password,
            autocommit=True,
        ) as conn,
        conn.cursor() as cursor,
    ):
        # An account may always kill its own sessions.
        cursor.execute(
            "SELECT ID FROM information_schema.PROCESSLIST"
            " WHERE USER = %s AND ID <> CONNECTION_ID()",
            (mariadb.user,),
        )
        ids = [row[0] for row in cursor.fetchall()]
        for session in ids:
            cursor.execute("KILL %s", (session,))
    return len(ids)


def test_a_connection_the_server_dropped_is_replaced_without_an_error(
    make: Make, mariadb: ServerInfo
) -> None:
    connector = make()
    assert connector.list_tables()
    assert _kill_sessions_of(mariadb) >= 1

    assert [t.name for t in connector.list_tables(limit=1)] == ["customer_orders"]


def test_close_is_safe_twice_and_the_connector_reconnects_after_it(make: Make) -> None:
    connector = make()
    connector.list_tables(limit=1)
    connector.close()
    connector.close()

    assert connector.introspect(table="orders").name == "orders"
