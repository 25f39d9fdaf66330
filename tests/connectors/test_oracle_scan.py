"""Discovering and scanning Oracle schemas: at the driver boundary, with rows shaped as the
ALL_* views return them, and live when CLEW_TEST_ORACLE_DSN is given (oracle_driver.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import oracledb
import pytest

from graph_api.connectors.base import ConnectorError, FailureReason, Missing, TableFilter
from graph_api.connectors.oracle import OracleConnector
from graph_api.connectors.oracle_catalog import (
    COLUMNS_SQL,
    DISCOVER_SQL,
    FIND_OWNERS_SQL,
    FIND_TABLES_SQL,
    INDEXES_SQL,
    MVIEW_QUERIES_SQL,
    NEAR_OWNERS_SQL,
    OWNER_TABLES_SQL,
    VIEW_TEXTS_SQL,
)
from graph_api.models import TableKind
from tests.connectors.oracle_driver import (
    LIVE_DSN,
    LIVE_PASSWORD,
    LIVE_USER,
    FakeConnection,
    config,
    live,
    live_config,
)
from tests.connectors.scanning import scan

# OWNER, NAME, KIND, NUM_ROWS, COMMENTS: as OWNER_TABLES_SQL returns them, in name order.
SALES_TABLES = [
    ("SALES", "CUSTOMERS", "TABLE", 52000, "People"),
    ("SALES", "ORDER_TOTALS", "MATERIALIZED_VIEW", 310, None),
    ("SALES", "ORDERS", "TABLE", None, None),
    ("SALES", "RECENT_ORDERS", "VIEW", None, "Last 30 days"),
]
# TABLE_NAME, then ALL_TAB_COLUMNS' COLUMN_NAME, DATA_TYPE, DATA_TYPE_OWNER, DATA_LENGTH,
# CHAR_LENGTH, CHAR_USED, DATA_PRECISION, DATA_SCALE, NULLABLE, COLUMN_ID, then COMMENTS and
# PRIMARY_KEY, ordered by table and column id.
SALES_COLUMNS = [
    ("CUSTOMERS", "ID", "NUMBER", None, 22, 0, None, 10, 0, "N", 1, None, "Y"),
    ("CUSTOMERS", "EMAIL", "VARCHAR2", None, 1280, 320, "C", None, None, "N", 2, "Login", "N"),
    ("ORDERS", "CUSTOMER_ID", "NUMBER", None, 22, 0, None, 10, 0, "N", 1, None, "Y"),
    ("ORDERS", "ORDER_NO", "NUMBER", None, 22, 0, None, 5, 0, "N", 2, None, "Y"),
    ("ORDERS", "PLACED_AT", "TIMESTAMP(6) WITH TIME ZONE", None, 13, 0, None, None, 6, "Y", 3,
     None, "N"),
    ("ORDER_TOTALS", "CUSTOMER_ID", "NUMBER", None, 22, 0, None, 10, 0, "N", 1, None, "N"),
    ("ORDER_TOTALS", "TOTAL", "NUMBER", None, 22, 0, None, None, None, "Y", 2, None, "N"),
    ("RECENT_ORDERS", "ORDER_NO", "NUMBER", None, 22, 0, None, 5, 0, "N", 1, None, "N"),
]  # fmt: skip
# TABLE_NAME, INDEX_NAME, UNIQUENESS, INDEX_TYPE, COLUMN_NAME, DESCEND, COLUMN_EXPRESSION,
# PRIMARY_KEY
SALES_INDEXES = [
    ("CUSTOMERS", "CUSTOMERS_PK", "UNIQUE", "NORMAL", "ID", "ASC", None, "Y"),
    ("ORDERS", "ORDERS_PK", "UNIQUE", "NORMAL", "CUSTOMER_ID", "ASC", None, "Y"),
    ("ORDERS", "ORDERS_PK", "UNIQUE", "NORMAL", "ORDER_NO", "ASC", None, "Y"),
]
RECENT_ORDERS_SQL = 'SELECT "ORDER_NO" FROM "SALES"."ORDERS" WHERE placed_at > SYSDATE - 30'
ORDER_TOTALS_SQL = "SELECT customer_id, SUM(amount) total FROM orders GROUP BY customer_id"


@pytest.fixture
def sales(fake: FakeConnection) -> FakeConnection:
    fake.answers.update(
        {
            FIND_OWNERS_SQL: [("SALES",)],
            OWNER_TABLES_SQL: SALES_TABLES,
            COLUMNS_SQL: SALES_COLUMNS,
            INDEXES_SQL: SALES_INDEXES,
            VIEW_TEXTS_SQL: [("RECENT_ORDERS", RECENT_ORDERS_SQL)],
            MVIEW_QUERIES_SQL: [("ORDER_TOTALS", ORDER_TOTALS_SQL)],
        }
    )
    return fake


def test_discover_lists_each_schema_with_its_counts(fake: FakeConnection) -> None:
    fake.answers[DISCOVER_SQL] = [("APP", 12, 3, 0), ("SALES", 2, 1, 1)]

    found = OracleConnector(config()).discover()

    assert [(n.name, n.counts) for n in found] == [
        ("APP", {TableKind.TABLE: 12, TableKind.VIEW: 3, TableKind.MATERIALIZED_VIEW: 0}),
        ("SALES", {TableKind.TABLE: 2, TableKind.VIEW: 1, TableKind.MATERIALIZED_VIEW: 1}),
    ]
    assert fake.calls == [(DISCOVER_SQL, {})]
    assert "oracle_maintained = 'N'" in DISCOVER_SQL  # SYS, SYSTEM & co. are left out


def test_a_scan_reads_a_whole_schema_with_six_statements_binding_no_table(
    sales: FakeConnection,
) -> None:
    results = scan(OracleConnector(config()), "sales")

    assert [(r.name, r.kind) for r in results] == [
        ("CUSTOMERS", TableKind.TABLE),
        ("ORDER_TOTALS", TableKind.MATERIALIZED_VIEW),
        ("ORDERS", TableKind.TABLE),
        ("RECENT_ORDERS", TableKind.VIEW),
    ]
    assert sales.calls == [
        (FIND_OWNERS_SQL, {"owner": "sales", "folded_owner": "SALES"}),
        (OWNER_TABLES_SQL, {"owner": "SALES"}),
        (COLUMNS_SQL, {"owner": "SALES", "table_name": None}),
        (INDEXES_SQL, {"owner": "SALES", "table_name": None}),
        (VIEW_TEXTS_SQL, {"owner": "SALES", "table_name": None}),
        (MVIEW_QUERIES_SQL, {"owner": "SALES", "table_name": None}),
    ]


def test_scanned_rows_map_to_tables_as_introspect_maps_them(sales: FakeConnection) -> None:
    customers, totals, orders, recent = scan(OracleConnector(config()), "SALES")

    assert (customers.comment, customers.row_count) == ("People", 52000)
    assert [(c.name, c.data_type, c.primary_key) for c in customers.columns] == [
        ("ID", "NUMBER(10,0)", True),
        ("EMAIL", "VARCHAR2(320 CHAR)", False),
    ]
    assert customers.indexes == ["CUSTOMERS_PK (ID) primary key"]
    assert [c.name for c in orders.columns if c.primary_key] == ["CUSTOMER_ID", "ORDER_NO"]
    assert orders.columns[2].data_type == "TIMESTAMP(6) WITH TIME ZONE"
    assert orders.notes == ["No row count: statistics were never gathered for this table."]
    assert (recent.definition, recent.indexes, recent.row_count) == (RECENT_ORDERS_SQL, [], None)
    assert totals.definition == ORDER_TOTALS_SQL
    assert totals.notes[0] == "A materialized view: its rows are stored, as of its last refresh."
    assert customers.definition is None


def test_introspect_runs_the_same_readers_bound_to_one_table(sales: FakeConnection) -> None:
    scanned = {info.name: info for info in scan(OracleConnector(config()), "SALES")}
    for name in scanned:
        sales.answers[FIND_TABLES_SQL] = [row for row in SALES_TABLES if row[1] == name]
        # The server filters by :table_name; the stand-in answers with that table's rows.
        for sql, rows in (
            (COLUMNS_SQL, SALES_COLUMNS),
            (INDEXES_SQL, SALES_INDEXES),
            (VIEW_TEXTS_SQL, [("RECENT_ORDERS", RECENT_ORDERS_SQL)]),
            (MVIEW_QUERIES_SQL, [("ORDER_TOTALS", ORDER_TOTALS_SQL)]),
        ):
            sales.answers[sql] = [row for row in rows if row[0] == name]
        sales.calls.clear()

        alone = OracleConnector(config()).introspect(table=name, schema="SALES")

        assert alone == scanned[name]
        readers = [(sql, binds) for sql, binds in sales.calls if sql != FIND_TABLES_SQL]
        assert all(binds == {"owner": "SALES", "table_name": name} for _sql, binds in readers)


def test_include_exclude_and_kinds_choose_what_is_read(sales: FakeConnection) -> None:
    assert [r.name for r in scan(OracleConnector(config()), "SALES", include=("order*",))] == [
        "ORDER_TOTALS",
        "ORDERS",
    ]
    assert [r.name for r in scan(OracleConnector(config()), "SALES", exclude=("*ORDER*",))] == [
        "CUSTOMERS"
    ]
    views = scan(OracleConnector(config()), "SALES", kinds=frozenset({TableKind.VIEW}))
    assert [r.name for r in views] == ["RECENT_ORDERS"]


def test_a_pattern_that_matches_nothing_reads_no_columns(sales: FakeConnection) -> None:
    assert scan(OracleConnector(config()), "SALES", include=("nothing*",)) == []
    assert [sql for sql, _ in sales.calls][-1] == OWNER_TABLES_SQL


def test_an_unknown_schema_is_not_found_with_a_near_match(fake: FakeConnection) -> None:
    fake.answers[NEAR_OWNERS_SQL] = [("APP",), ("SALES",), ("SYSTEM",)]

    with pytest.raises(ConnectorError) as caught:
        scan(OracleConnector(config()), "sale")

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
    assert caught.value.missing == Missing("schema", "sale")
    assert "Schema 'sale' was not found" in caught.value.message
    assert "Did you mean 'SALES'?" in caught.value.message


def _many(tables: int) -> dict[str, Any]:
    names = [f"T{i:04d}" for i in range(1, tables + 1)]
    return {
        FIND_OWNERS_SQL: [("BULK",)],
        OWNER_TABLES_SQL: [("BULK", name, "TABLE", 0, None) for name in names],
        COLUMNS_SQL: [
            (name, "ID", "NUMBER", None, 22, 0, None, 10, 0, "N", 1, None, "Y") for name in names
        ],
        INDEXES_SQL: [
            (name, f"{name}_PK", "UNIQUE", "NORMAL", "ID", "ASC", None, "Y") for name in names
        ],
    }


def test_the_statements_a_scan_sends_do_not_grow_with_the_number_of_tables(
    fake: FakeConnection,
) -> None:
    sent = {}
    for tables in (10, 500):
        fake.answers.update(_many(tables))
        fake.calls.clear()
        assert len(scan(OracleConnector(config()), "BULK")) == tables
        sent[tables] = len(fake.calls)

    assert sent[10] == sent[500] == 4  # owner, tables, columns, indexes: no views here


# Live, against a real Oracle Database


@pytest.fixture(scope="module")
def live_schema() -> Iterator[str]:
    ddl = [
        "CREATE TABLE CLEW_SCAN_ACCOUNTS (id NUMBER(10) PRIMARY KEY, email VARCHAR2(320 CHAR))",
        "CREATE TABLE CLEW_SCAN_LINES (account_id NUMBER(10), line_no NUMBER(5), note CLOB,"
        " PRIMARY KEY (account_id, line_no))",
        "COMMENT ON TABLE CLEW_SCAN_ACCOUNTS IS 'Who buys'",
        "CREATE VIEW CLEW_SCAN_EMAILS AS SELECT id, email FROM CLEW_SCAN_ACCOUNTS",
    ]
    drop = [
        "DROP VIEW CLEW_SCAN_EMAILS",
        "DROP TABLE CLEW_SCAN_LINES PURGE",
        "DROP TABLE CLEW_SCAN_ACCOUNTS PURGE",
    ]
    with oracledb.connect(user=LIVE_USER, password=LIVE_PASSWORD, dsn=LIVE_DSN) as conn:
        with conn.cursor() as cursor:
            for statement in drop:
                try:
                    cursor.execute(statement)
                except oracledb.DatabaseError:
                    pass  # not there: a clean start
            for statement in ddl:
                cursor.execute(statement)
        yield str(conn.username).upper()
        with conn.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)


@live
def test_live_the_own_schema_is_discovered_and_scanned_as_introspected(live_schema: str) -> None:
    connector = OracleConnector(live_config())

    assert live_schema in [n.name for n in connector.discover()]
    results = list(connector.scan_namespace(live_schema, table_filter=TableFilter(
        include=("CLEW_SCAN_*",)
    )))  # fmt: skip
    assert [(r.name, r.kind) for r in results] == [
        ("CLEW_SCAN_ACCOUNTS", TableKind.TABLE),
        ("CLEW_SCAN_EMAILS", TableKind.VIEW),
        ("CLEW_SCAN_LINES", TableKind.TABLE),
    ]
    for info in results:
        assert info == connector.introspect(table=info.name, schema=live_schema)
    accounts, emails, lines = results
    assert accounts.comment == "Who buys"
    assert [c.name for c in lines.columns if c.primary_key] == ["ACCOUNT_ID", "LINE_NO"]
    assert emails.definition is not None and "CLEW_SCAN_ACCOUNTS" in emails.definition.upper()


@live
def test_live_an_unknown_schema_is_not_found() -> None:
    with pytest.raises(ConnectorError) as caught:
        list(OracleConnector(live_config()).scan_namespace("CLEW_NO_SUCH_SCHEMA"))

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
