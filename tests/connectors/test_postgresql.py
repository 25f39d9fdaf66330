"""The PostgreSQL connector against a real PostgreSQL server (Debian's package).

The server and its `shop` database come from tests/servers/sql.py: a read-only test user,
`customers`/`orders` with comments and keys, a view, a materialized view, a schema `sales`
with the quoted mixed-case table "MixedCase", and `payroll`, which the user may not read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
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
from graph_api.connectors.postgresql import PostgresConnector, classify
from graph_api.connectors.registry import create_connector
from graph_api.models import SourceType, TableKind
from tests.servers.fixtures import SERVERS_DIR
from tests.servers.sql import (
    ServerInfo,
    silent_socket,
    unused_port,
)

WRONG_PASSWORD = "Wr0ng-pw-5e1f"


Make = Callable[..., PostgresConnector]


@pytest.fixture
def make(postgres: ServerInfo) -> Iterator[Make]:
    made: list[PostgresConnector] = []

    def build(**overrides: Any) -> PostgresConnector:
        settings: dict[str, Any] = {
            "type": SourceType.POSTGRESQL,
            "host": postgres.host,
            "port": postgres.port,
            "database": postgres.database,
            "username": postgres.user,
            "password": postgres.password,
            "connect_timeout": 3.0,
        }
        settings.update(overrides)
        connector = PostgresConnector(ConnectionConfig(**settings))
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


@pytest.fixture(scope="module")
def customers(postgres: ServerInfo) -> TableInfo:
    connector = PostgresConnector(
        ConnectionConfig(
            type=SourceType.POSTGRESQL,
            host=postgres.host,
            port=postgres.port,
            database=postgres.database,
            username=postgres.user,
            password=postgres.password,
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
    make: Make, postgres: ServerInfo
) -> None:
    report = make().test()

    assert report.ok, report.message
    assert report.product == "PostgreSQL"
    with psycopg.connect(
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        dbname=postgres.database,
    ) as conn:
        expected = conn.execute("SHOW server_version").fetchone()
    assert expected is not None and report.version == expected[0].split()[0]
    assert report.latency_ms is not None and 0 < report.latency_ms < 3000


def test_the_registry_builds_this_connector_for_postgresql_sources() -> None:
    connector = create_connector(ConnectionConfig(type=SourceType.POSTGRESQL, host="h"))

    assert isinstance(connector, PostgresConnector)


def test_a_wrong_password_is_an_authentication_failure_that_never_shows_it(
    make: Make, postgres: ServerInfo
) -> None:
    report = make(password=WRONG_PASSWORD).test()

    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    # The server's own words are the detail; the message is Clew's classified sentence.
    assert "password authentication failed" in (report.detail or "")
    assert "refused the credentials" in (report.message or "")
    assert postgres.user in (report.message or "")
    assert "password" in (report.hint or "")
    for secret in (WRONG_PASSWORD, postgres.password):
        assert secret not in repr(report)


def test_a_password_inside_a_uri_never_reaches_the_message(
    make: Make, postgres: ServerInfo
) -> None:
    uri = (
        f"postgresql://{postgres.user}:{WRONG_PASSWORD}@{postgres.host}:{postgres.port}"
        f"/{postgres.database}"
    )
    report = make(host=None, port=None, database=None, username=None, password=None, uri=uri).test()

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
    assert "DNS" in (report.hint or "")


def test_a_server_that_never_answers_times_out(make: Make) -> None:
    # libpq raises connect timeouts below 2 seconds to 2 seconds.
    with silent_socket() as (host, port):
        started = time.monotonic()
        report = make(host=host, port=port, connect_timeout=1.0).test()
        elapsed = time.monotonic() - started

    assert report.reason is FailureReason.TIMEOUT
    assert "no answer within 2 s" in (report.message or "")
    assert 1.5 < elapsed < 5.0


def test_a_database_that_does_not_exist_is_named(make: Make) -> None:
    report = make(database="shopp").test()

    assert report.reason is FailureReason.DATABASE_NOT_FOUND
    assert '"shopp" does not exist' in (report.detail or "")
    assert "database 'shopp' does not exist" in (report.message or "")


def test_tls_against_a_server_without_tls_is_a_tls_error(make: Make) -> None:
    report = make(tls=TlsConfig(enabled=True)).test()

    assert report.reason is FailureReason.TLS_ERROR
    assert "does not support SSL" in (report.detail or "")
    assert "TLS handshake failed" in (report.message or "")
    assert "TLS" in (report.hint or "")


def test_catalog_reads_report_connection_failures_the_same_way(make: Make) -> None:
    error = failure(lambda: make(password=WRONG_PASSWORD).list_tables())

    assert error.reason is FailureReason.AUTHENTICATION_FAILED
    assert WRONG_PASSWORD not in f"{error.message} {error.hint}"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
         FailureReason.TIMEOUT),
        (psycopg.errors.InsufficientPrivilege("permission denied for table payroll"),
         FailureReason.PERMISSION_DENIED),
        (psycopg.errors.UndefinedTable('relation "nope" does not exist'),
         FailureReason.TABLE_NOT_FOUND),
        (psycopg.OperationalError('connection to server at "db", port 5432 failed: FATAL:  '
                                  'no pg_hba.conf entry for host "10.0.0.9", user "clew", '
                                  'database "shop", SSL off'),
         FailureReason.AUTHENTICATION_FAILED),
        (psycopg.OperationalError('connection to server at "db", port 5432 failed: FATAL:  '
                                  'permission denied for database "shop"'),
         FailureReason.PERMISSION_DENIED),
        (psycopg.OperationalError('connection to server at "db", port 5432 failed: server '
                                  'certificate for "db" does not match host name "db.local"'),
         FailureReason.TLS_ERROR),
        (psycopg.OperationalError('connection to server at "10.0.0.9", port 5432 failed: '
                                  "No route to host"), FailureReason.CONNECTION_REFUSED),
    ],
)  # fmt: skip
def test_server_errors_past_the_connection_are_classified(
    error: psycopg.Error, reason: FailureReason
) -> None:
    assert classify(error)[0] is reason


def test_a_pg_hba_rejection_says_who_must_fix_it() -> None:
    error = psycopg.OperationalError('FATAL:  no pg_hba.conf entry for host "10.0.0.9"')

    assert "pg_hba.conf" in (classify(error)[1] or "")


# Listing


def test_tables_and_views_are_listed_sorted_with_their_kind(make: Make) -> None:
    tables = make().list_tables()

    assert [(t.schema, t.name, t.kind) for t in tables] == [
        ("public", "customer_orders", TableKind.VIEW),
        ("public", "customers", TableKind.TABLE),
        ("public", "employees", TableKind.TABLE),
        ("public", "events", TableKind.TABLE),
        ("public", "orders", TableKind.TABLE),
        ("public", "payroll", TableKind.TABLE),
        ("public", "revenue_by_customer", TableKind.MATERIALIZED_VIEW),
        ("sales", "MixedCase", TableKind.TABLE),
        ("sales", "regions", TableKind.TABLE),
    ]


def test_the_list_is_bounded_by_the_limit(make: Make) -> None:
    names = [t.name for t in make().list_tables(limit=2)]

    assert names == ["customer_orders", "customers"]


def test_a_schema_is_found_as_given_or_folded_to_lower_case(make: Make) -> None:
    connector = make()

    assert [t.name for t in connector.list_tables(schema="sales")] == ["MixedCase", "regions"]
    assert [t.name for t in connector.list_tables(schema="SALES")] == ["MixedCase", "regions"]


def test_listing_a_schema_that_does_not_exist_says_so(make: Make) -> None:
    error = failure(lambda: make().list_tables(schema="sale"))

    assert error.reason is FailureReason.TABLE_NOT_FOUND
    assert "Schema 'sale' was not found" in error.message
    assert "Did you mean 'sales'?" in error.message


# Introspection


def test_customers_columns_are_exact_and_in_order(customers: TableInfo) -> None:
    assert [
        (c.ordinal_position, c.name, c.data_type, c.nullable, c.primary_key)
        for c in customers.columns
    ] == [
        (1, "id", "bigint", False, True),
        (2, "email", "character varying(320)", False, False),
        (3, "full_name", "text", True, False),
        (4, "created_at", "timestamp without time zone", False, False),
        (5, "credit_limit", "numeric(12,2)", True, False),
        (6, "tags", "text[]", True, False),
    ]


def test_comments_of_the_table_and_its_columns_are_read(customers: TableInfo) -> None:
    assert customers.comment == "People who have placed or may place orders"
    assert columns(customers)["email"].comment == "Login and contact address; unique per customer"
    assert columns(customers)["id"].comment is None


def test_the_row_count_is_the_planner_estimate(customers: TableInfo) -> None:
    assert (customers.schema, customers.name, customers.kind) == (
        "public",
        "customers",
        TableKind.TABLE,
    )
    assert customers.row_count == 3  # analyzed after seeding
    assert any("estimate" in note for note in customers.notes)


def test_a_composite_primary_key_marks_each_of_its_columns(make: Make) -> None:
    orders = make().introspect(table="orders", schema="public")

    assert [c.name for c in orders.columns if c.primary_key] == ["customer_id", "order_no"]
    assert columns(orders)["amount"].data_type == "numeric(10,2)"
    assert columns(orders)["ordered_at"].data_type == "timestamp with time zone"


def test_array_columns_are_marked_as_arrays(make: Make) -> None:
    events = columns(make().introspect(table="events"))

    assert {name: c.is_array for name, c in events.items()} == {
        "id": False,
        "labels": True,
        "scores": True,
        "grid": True,
    }
    assert events["scores"].data_type == "integer[]"
    assert events["scores"].nullable is False
    assert columns(make().introspect(table="customers"))["tags"].is_array


def test_a_materialized_view_has_its_columns_kind_and_a_note(make: Make) -> None:
    # information_schema leaves materialized views out; pg_attribute has their columns.
    view = make().introspect(table="revenue_by_customer")

    assert view.kind is TableKind.MATERIALIZED_VIEW
    assert [(c.name, c.data_type, c.ordinal_position) for c in view.columns] == [
        ("customer_id", "bigint", 1),
        ("revenue", "numeric", 2),
    ]
    assert any("materialized view" in note for note in view.notes)
    assert view.row_count == 3


def test_indexes_are_listed_with_their_keys_and_kind(make: Make) -> None:
    assert make().introspect(table="orders").indexes == [
        "orders_pkey (customer_id, order_no) primary key"
    ]
    assert make().introspect(table="employees").indexes == [
        "employees_department_idx (department)",
        "employees_email_lower_idx (lower(email)) unique partial",
        "employees_pkey (id) primary key",
    ]


def test_a_column_level_grant_lists_every_column_and_names_the_hidden_ones(
    make: Make, postgres: ServerInfo
) -> None:
    # The account may read id, display_name and department only: the catalog still needs
    # the other four (the personal data), and the user needs to know the account cannot read them.
    employees = make().introspect(table="employees")

    assert [c.name for c in employees.columns] == [
        "id",
        "display_name",
        "department",
        "email",
        "ssn",
        "salary",
        "born_on",
    ]
    assert columns(employees)["ssn"].data_type == "character(11)"
    note = next(n for n in employees.notes if "may not read" in n)
    assert f"The account '{postgres.user}' may not read 4 of 7 columns" in note
    assert "(email, ssn, salary, born_on)" in note
    assert "GRANT SELECT (email, ssn, salary, born_on) ON public.employees" in note
    assert not any("may not read" in n for n in make().introspect(table="customers").notes)


def test_what_was_not_found_is_named_by_kind(make: Make) -> None:
    schema = failure(lambda: make().introspect(table="customers", schema="salez"))
    table = failure(lambda: make().introspect(table="custmers", schema="public"))
    database = make(database="shopp").test()

    assert (schema.reason, schema.missing) == (
        FailureReason.TABLE_NOT_FOUND,
        Missing("schema", "salez"),
    )
    assert (table.reason, table.missing) == (
        FailureReason.TABLE_NOT_FOUND,
        Missing("table", "public.custmers"),
    )
    assert database.reason is FailureReason.DATABASE_NOT_FOUND


def test_a_view_is_introspected_as_a_view_without_row_count(make: Make) -> None:
    view = make().introspect(table="customer_orders")

    assert view.kind is TableKind.VIEW
    assert view.comment == "Orders with the customer's e-mail address"
    assert view.row_count is None
    assert [c.name for c in view.columns] == ["customer_id", "email", "order_no", "amount"]
    assert not any(c.primary_key for c in view.columns)


@pytest.mark.parametrize("given", ["Customers", "CUSTOMERS"])
def test_unquoted_names_in_any_case_find_the_lower_case_table(make: Make, given: str) -> None:
    info = make().introspect(table=given, schema="PUBLIC")

    assert (info.schema, info.name) == ("public", "customers")


def test_a_quoted_mixed_case_table_is_found_by_its_exact_name(make: Make) -> None:
    info = make().introspect(table="MixedCase", schema="sales")

    assert (info.schema, info.name) == ("sales", "MixedCase")
    assert [(c.name, c.primary_key) for c in info.columns] == [
        ("Id", True),
        ("DisplayName", False),
    ]


def test_a_mixed_case_table_given_in_lower_case_is_not_found_but_named(make: Make) -> None:
    error = failure(lambda: make().introspect(table="mixedcase", schema="sales"))

    assert error.reason is FailureReason.TABLE_NOT_FOUND
    assert "Table 'mixedcase' was not found in schema 'sales'" in error.message
    assert "Did you mean 'sales.MixedCase'?" in error.message


def test_a_missing_table_is_not_found_with_a_near_match_and_what_to_check(make: Make) -> None:
    error = failure(lambda: make().introspect(table="custmers"))

    assert error.reason is FailureReason.TABLE_NOT_FOUND
    assert error.message.startswith(
        "Table 'custmers' was not found in schema 'public' of database 'shop'."
    )
    assert "Did you mean 'public.customers'?" in error.message
    assert "search path" in error.hint and "spelling" in error.hint


def test_a_table_in_another_schema_is_pointed_to(make: Make) -> None:
    error = failure(lambda: make().introspect(table="regions"))

    assert error.reason is FailureReason.TABLE_NOT_FOUND
    assert "Did you mean 'sales.regions'?" in error.message


def test_a_table_the_account_may_not_read_is_permission_denied(
    make: Make, postgres: ServerInfo
) -> None:
    error = failure(lambda: make().introspect(table="payroll"))

    assert error.reason is FailureReason.PERMISSION_DENIED
    assert f"'{postgres.user}' may not read 'public.payroll'" in error.message
    assert f"GRANT SELECT ON public.payroll TO {postgres.user}" in error.hint


# Connection reuse


def _clew_backends(user: str, port: int, terminate: frozenset[int] = frozenset()) -> set[int]:
    """The server's 'clew' connections of `user`, after terminating those in `terminate`."""
    # The superuser gets in over the server's private socket (trust), as in the seeding.
    with psycopg.connect(
        host=str(SERVERS_DIR / "postgres" / "run"),
        port=port,
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as admin:
        for pid in terminate:
            # With a timeout it waits until the backend has gone (PostgreSQL 14+).
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = %s AND application_name = 'clew'",
            (user,),
        ).fetchall()
    return {pid for (pid,) in rows}


def test_a_connection_the_server_dropped_is_replaced_without_an_error(
    make: Make, postgres: ServerInfo
) -> None:
    # Other tests' services may hold connections of the same user: only this connector's go.
    before = _clew_backends(postgres.user, postgres.port)
    connector = make()
    assert connector.list_tables(schema="sales")
    own = _clew_backends(postgres.user, postgres.port) - before
    assert len(own) == 1
    assert not own & _clew_backends(postgres.user, postgres.port, terminate=frozenset(own))

    assert [t.name for t in connector.list_tables(schema="sales")] == ["MixedCase", "regions"]


def test_close_is_safe_twice_and_the_connector_reconnects_after_it(make: Make) -> None:
    connector = make()
    connector.list_tables(limit=1)
    connector.close()
    connector.close()

    assert connector.introspect(table="orders").name == "orders"
