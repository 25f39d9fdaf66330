"""The Oracle connector at the driver boundary, plus live tests when a server is given.

No Oracle server can run here, so these tests pin down what does not need one:

- the SQL the connector sends, through a stand-in for python-oracledb's AsyncConnection
  that records every statement and its binds (names only ever travel as bind variables);
- the mapping of rows shaped exactly like ALL_TAB_COLUMNS & co. return them to ColumnInfo;
- connect descriptors for service names, SIDs and TLS, built by the driver itself;
- the classification of errors built the way the driver builds them, and of the real
  driver's failures against local sockets (refused, silent, not speaking TLS);
- that no password survives into a message.

Set CLEW_TEST_ORACLE_DSN (e.g. localhost:1521/FREEPDB1, the compose file's gvenzl/oracle-free
service), CLEW_TEST_ORACLE_USER and CLEW_TEST_ORACLE_PASSWORD to also run the live tests
(see tests/connectors/oracle_driver.py). Scans: tests/connectors/test_oracle_scan.py.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Iterator

import oracledb
import pytest
from oracledb import errors as driver_errors

from graph_api.connectors import oracle
from graph_api.connectors.base import (
    ConnectorError,
    FailureReason,
    Missing,
    TlsConfig,
)
from graph_api.connectors.oracle import (
    PING_SQL,
    VERSION_SQL,
    OracleConnector,
    classify,
    dsn,
)
from graph_api.connectors.oracle_catalog import (
    COLUMNS_SQL,
    FIND_OWNERS_SQL,
    FIND_TABLES_SQL,
    INDEXES_SQL,
    LIST_TABLES_SQL,
    NEAR_TABLES_SQL,
    ColumnRow,
    best_match,
    column_from_row,
    folded,
    format_data_type,
    name_binds,
)
from graph_api.connectors.registry import create_connector
from graph_api.models import TableKind
from tests.connectors.oracle_driver import (
    CATALOG_SQL,
    LIVE_DSN,
    LIVE_PASSWORD,
    LIVE_TABLE,
    LIVE_USER,
    SECRET,
    FakeConnection,
    config,
    driver_error,
    live,
    live_config,
    server_error,
)
from tests.servers.echo import serve_tcp
from tests.servers.sql import silent_socket, unused_port

CUSTOMER_COLUMNS = [
    # TABLE_NAME, then ALL_TAB_COLS' COLUMN_NAME, DATA_TYPE, DATA_TYPE_OWNER, DATA_LENGTH,
    # CHAR_LENGTH, CHAR_USED, DATA_PRECISION, DATA_SCALE, NULLABLE, COLUMN_ID, then COMMENTS,
    # PRIMARY_KEY, ALL_TAB_IDENTITY_COLS' GENERATION_TYPE, VIRTUAL_COLUMN and DATA_DEFAULT_VC
    # (an identity column's default is its sequence; a virtual column's, its expression)
    ("CUSTOMERS", "ID", "NUMBER", None, 22, 0, None, 10, 0, "N", 1, None, "Y",
     "ALWAYS", "NO", '"APP"."ISEQ$$_73201".nextval'),
    ("CUSTOMERS", "EMAIL", "VARCHAR2", None, 320, 320, "B", None, None, "N", 2, "Login address",
     "N", None, "NO", None),
    ("CUSTOMERS", "CREATED_AT", "TIMESTAMP(6)", None, 11, 0, None, None, 6, "Y", 3, None, "N",
     None, "NO", "SYSTIMESTAMP "),
    ("CUSTOMERS", "CREDIT_LIMIT", "NUMBER", None, 22, 0, None, 12, 2, "Y", 4, None, "N",
     None, "NO", None),
    ("CUSTOMERS", "CREDIT_BAND", "VARCHAR2", None, 4, 4, "B", None, None, "Y", 5, None, "N",
     None, "YES", "CASE  WHEN \"CREDIT_LIMIT\">1000 THEN 'HIGH' ELSE 'LOW' END "),
]  # fmt: skip


# The SQL


@pytest.mark.parametrize("name", sorted(CATALOG_SQL))
def test_catalog_sql_has_no_place_for_formatted_names(name: str) -> None:
    sql = CATALOG_SQL[name]

    assert not re.search(r"\{|%s|%\(|\|\|", sql), "names must travel as bind variables"
    # The only literals are the catalog's own flags and kinds.
    assert set(re.findall(r"'[^']*'", sql)) <= {
        "'TABLE'", "'VIEW'", "'MATERIALIZED_VIEW'", "'NO'", "'N'", "'Y'", "'P'", "'IOT'", "'Oracle%'",
    }  # fmt: skip


def test_introspect_sends_names_only_as_binds(fake: FakeConnection) -> None:
    hostile = "X' OR '1'='1"

    with pytest.raises(ConnectorError):
        OracleConnector(config()).introspect(table=hostile, schema=hostile)

    assert fake.calls, "the catalog was queried"
    assert not any(hostile in sql for sql, _ in fake.calls)
    assert fake.calls[0][1] == {
        "owner": hostile,
        "folded_owner": hostile.upper(),
        "name": hostile,
        "folded_name": hostile.upper(),
    }


def test_introspect_maps_the_catalog_rows(fake: FakeConnection) -> None:
    fake.answers[FIND_TABLES_SQL] = [("APP", "CUSTOMERS", "TABLE", 52000, "People")]
    fake.answers[COLUMNS_SQL] = CUSTOMER_COLUMNS

    info = OracleConnector(config(query_timeout=7.5)).introspect(table="customers")

    assert (info.schema, info.name, info.kind) == ("APP", "CUSTOMERS", TableKind.TABLE)
    assert (info.comment, info.row_count) == ("People", 52000)
    assert [
        (c.ordinal_position, c.name, c.data_type, c.nullable, c.primary_key, c.comment)
        for c in info.columns
    ] == [
        (1, "ID", "NUMBER(10,0)", False, True, None),
        (2, "EMAIL", "VARCHAR2(320 BYTE)", False, False, "Login address"),
        (3, "CREATED_AT", "TIMESTAMP(6)", True, False, None),
        (4, "CREDIT_LIMIT", "NUMBER(12,2)", True, False, None),
        (5, "CREDIT_BAND", "VARCHAR2(4 BYTE)", True, False, None),
    ]
    # A default is not a generation: only identity and virtual columns say how they are filled.
    assert [c.generated for c in info.columns] == [
        "IDENTITY ALWAYS",
        None,
        None,
        None,
        """VIRTUAL AS (CASE  WHEN "CREDIT_LIMIT">1000 THEN 'HIGH' ELSE 'LOW' END)""",
    ]
    assert fake.calls[1][1] == {"owner": "APP", "table_name": "CUSTOMERS"}
    assert fake.call_timeout == 7500  # the server cancels a catalog read that runs too long


# Rows shaped as ALL_INDEXES x ALL_IND_COLUMNS x ALL_IND_EXPRESSIONS return them: a primary
# key, a composite index with a descending column (Oracle makes that a function-based index
# on a hidden SYS_NC column), a unique function-based index and a bitmap index.
CUSTOMER_INDEXES = [
    # TABLE_NAME, INDEX_NAME, UNIQUENESS, INDEX_TYPE, COLUMN_NAME, DESCEND, COLUMN_EXPRESSION,
    # PRIMARY_KEY
    ("CUSTOMERS", "CUSTOMERS_PK", "UNIQUE", "NORMAL", "ID", "ASC", None, "Y"),
    ("CUSTOMERS", "IX_CREATED", "NONUNIQUE", "FUNCTION-BASED NORMAL", "CREDIT_LIMIT", "ASC", None, "N"),
    ("CUSTOMERS", "IX_CREATED", "NONUNIQUE", "FUNCTION-BASED NORMAL", "SYS_NC00005$", "DESC",
     '"CREATED_AT"', "N"),
    ("CUSTOMERS", "IX_EMAIL_UPPER", "UNIQUE", "FUNCTION-BASED NORMAL", "SYS_NC00006$", "ASC",
     'UPPER("EMAIL")', "N"),
    ("CUSTOMERS", "IX_STATUS", "NONUNIQUE", "BITMAP", "STATUS", "ASC", None, "N"),
]  # fmt: skip


def test_indexes_are_read_from_the_catalog_rows(fake: FakeConnection) -> None:
    fake.answers[FIND_TABLES_SQL] = [("APP", "CUSTOMERS", "TABLE", 52000, "People")]
    fake.answers[COLUMNS_SQL] = CUSTOMER_COLUMNS
    fake.answers[INDEXES_SQL] = CUSTOMER_INDEXES

    info = OracleConnector(config()).introspect(table="customers")

    assert info.indexes == [
        "CUSTOMERS_PK (ID) primary key",
        'IX_CREATED (CREDIT_LIMIT, "CREATED_AT" desc)',
        'IX_EMAIL_UPPER (UPPER("EMAIL")) unique',
        "IX_STATUS (STATUS) bitmap",
    ]
    assert fake.calls[2] == (INDEXES_SQL, {"owner": "APP", "table_name": "CUSTOMERS"})


def test_a_materialized_view_is_introspected_as_one(fake: FakeConnection) -> None:
    # A materialized view is stored as a table of the same name; ALL_MVIEWS tells them apart.
    fake.answers[FIND_TABLES_SQL] = [("APP", "REVENUE", "MATERIALIZED_VIEW", 3, None)]
    fake.answers[LIST_TABLES_SQL] = [("APP", "REVENUE", "MATERIALIZED_VIEW")]

    info = OracleConnector(config()).introspect(table="revenue")
    listed = OracleConnector(config()).list_tables()

    assert (info.kind, info.row_count) == (TableKind.MATERIALIZED_VIEW, 3)
    assert info.notes[0] == "A materialized view: its rows are stored, as of its last refresh."
    assert [t.kind for t in listed] == [TableKind.MATERIALIZED_VIEW]
    assert "all_mviews" in FIND_TABLES_SQL and "all_mviews" in LIST_TABLES_SQL


def test_a_table_without_statistics_has_no_row_count_and_says_why(
    fake: FakeConnection,
) -> None:
    fake.answers[FIND_TABLES_SQL] = [("APP", "CUSTOMERS", "TABLE", None, None)]

    info = OracleConnector(config()).introspect(table="CUSTOMERS")

    assert info.row_count is None
    assert info.notes == ["No row count: statistics were never gathered for this table."]


def test_a_view_is_introspected_as_a_view(fake: FakeConnection) -> None:
    fake.answers[FIND_TABLES_SQL] = [("APP", "CUSTOMER_ORDERS", "VIEW", None, "Joined")]

    info = OracleConnector(config()).introspect(table="customer_orders")

    assert (info.kind, info.comment, info.row_count, info.notes) == (
        TableKind.VIEW,
        "Joined",
        None,
        [],
    )


def test_the_default_schema_is_the_connecting_user_upper_cased(fake: FakeConnection) -> None:
    fake.answers[LIST_TABLES_SQL] = [
        ("APP", "CUSTOMERS", "TABLE"),
        ("APP", "CUSTOMER_ORDERS", "VIEW"),
    ]

    tables = OracleConnector(config(username="app")).list_tables(limit=50)

    assert [(t.schema, t.name, t.kind) for t in tables] == [
        ("APP", "CUSTOMERS", TableKind.TABLE),
        ("APP", "CUSTOMER_ORDERS", TableKind.VIEW),
    ]
    assert fake.calls == [(LIST_TABLES_SQL, {"owner": "APP", "max_rows": 50})]


def test_a_schema_given_unquoted_is_found_upper_cased(fake: FakeConnection) -> None:
    fake.answers[FIND_OWNERS_SQL] = [("SALES",)]

    OracleConnector(config()).list_tables(schema="sales")

    assert fake.calls[0] == (FIND_OWNERS_SQL, {"owner": "sales", "folded_owner": "SALES"})
    assert fake.calls[1] == (LIST_TABLES_SQL, {"owner": "SALES", "max_rows": 1000})


def test_a_schema_that_does_not_exist_is_named(fake: FakeConnection) -> None:
    with pytest.raises(ConnectorError) as caught:
        OracleConnector(config()).list_tables(schema="nobody")

    assert caught.value.reason is FailureReason.TABLE_NOT_FOUND
    assert "Schema 'nobody' was not found" in caught.value.message


def test_a_missing_table_is_not_found_with_a_near_match(fake: FakeConnection) -> None:
    fake.answers[NEAR_TABLES_SQL] = [("APP", "CUSTOMER"), ("APP", "ORDERS")]

    with pytest.raises(ConnectorError) as caught:
        OracleConnector(config()).introspect(table="customers")

    error = caught.value
    assert error.reason is FailureReason.TABLE_NOT_FOUND
    assert error.message.startswith("Table 'customers' was not found in schema 'APP'")
    assert "Did you mean 'APP.CUSTOMER'?" in error.message
    assert "'CUSTOMERS'" in error.hint and "upper case" in error.hint
    assert "granted SELECT" in error.hint
    assert error.missing == Missing("table", "APP.customers")
    assert fake.calls[-1] == (NEAR_TABLES_SQL, {"owner": "APP", "name": "customers"})


def test_a_table_of_another_schema_is_pointed_to(fake: FakeConnection) -> None:
    fake.answers[NEAR_TABLES_SQL] = [("APP", "CUSTOMERS"), ("SALES", "REGIONS")]

    with pytest.raises(ConnectorError) as caught:
        OracleConnector(config()).introspect(table="regions")

    assert "Did you mean 'SALES.REGIONS'?" in caught.value.message


def test_the_version_comes_from_the_server(fake: FakeConnection) -> None:
    fake.answers[VERSION_SQL] = [("Oracle Database 23ai Free ",)]

    report = OracleConnector(config()).test()

    assert report.ok
    assert (report.product, report.version) == ("Oracle Database 23ai Free", "23.4.0.24.5")
    assert report.latency_ms is not None


def test_without_access_to_the_version_view_the_handshake_version_is_used(
    fake: FakeConnection,
) -> None:
    fake.answers[VERSION_SQL] = server_error(942, "table or view does not exist")

    report = OracleConnector(config()).test()

    assert report.ok
    assert (report.product, report.version) == ("Oracle Database", "23.4.0.24.5")
    assert [sql for sql, _ in fake.calls] == [VERSION_SQL, PING_SQL]


def test_the_registry_builds_this_connector_for_oracle_sources() -> None:
    assert isinstance(create_connector(config()), OracleConnector)


# Mapping catalog rows


def column_row(
    data_type: str,
    *,
    length: int = 22,
    char_length: int = 0,
    char_used: str | None = None,
    precision: int | None = None,
    scale: int | None = None,
    type_owner: str | None = None,
) -> ColumnRow:
    return ColumnRow(
        "C", data_type, type_owner, length, char_length, char_used, precision, scale,
        "Y", 1, None, "N",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (column_row("NUMBER", precision=10, scale=2), "NUMBER(10,2)"),
        (column_row("NUMBER", precision=10, scale=0), "NUMBER(10,0)"),
        (column_row("NUMBER"), "NUMBER"),  # no precision, no scale
        (column_row("NUMBER", scale=0), "NUMBER(*,0)"),  # declared INTEGER
        (column_row("FLOAT", precision=126), "FLOAT(126)"),
        (column_row("VARCHAR2", length=400, char_length=100, char_used="C"), "VARCHAR2(100 CHAR)"),
        (column_row("VARCHAR2", length=100, char_length=100, char_used="B"), "VARCHAR2(100 BYTE)"),
        (column_row("CHAR", length=1, char_length=1, char_used="B"), "CHAR(1 BYTE)"),
        (column_row("NVARCHAR2", length=100, char_length=50, char_used="C"), "NVARCHAR2(50)"),
        (column_row("RAW", length=16), "RAW(16)"),
        (column_row("TIMESTAMP(6)", length=11, scale=6), "TIMESTAMP(6)"),
        (column_row("TIMESTAMP(3) WITH TIME ZONE", length=13), "TIMESTAMP(3) WITH TIME ZONE"),
        (column_row("INTERVAL DAY(2) TO SECOND(6)"), "INTERVAL DAY(2) TO SECOND(6)"),
        (column_row("DATE", length=7), "DATE"),
        (column_row("CLOB", length=4000), "CLOB"),
        (column_row("BINARY_DOUBLE", length=8), "BINARY_DOUBLE"),
        (column_row("XMLTYPE", length=2000, type_owner="SYS"), "XMLTYPE"),
        (column_row("SDO_GEOMETRY", length=1, type_owner="MDSYS"), "MDSYS.SDO_GEOMETRY"),
        (column_row("ADDRESS_T", length=1, type_owner="APP"), "ADDRESS_T"),  # own schema
    ],
)
def test_catalog_types_read_as_oracle_writes_them(row: ColumnRow, expected: str) -> None:
    assert format_data_type(row, table_owner="APP") == expected


def test_a_column_row_becomes_column_info() -> None:
    column = column_from_row(
        ("EMAIL", "VARCHAR2", None, 1280, 320, "C", None, None, "N", 2, "Login", "N")
    )

    assert (column.name, column.data_type, column.nullable, column.primary_key) == (
        "EMAIL",
        "VARCHAR2(320 CHAR)",
        False,
        False,
    )
    assert (column.ordinal_position, column.comment) == (2, "Login")


def test_unquoted_names_fold_to_upper_case_and_exact_names_win() -> None:
    assert folded("customers") == ["customers", "CUSTOMERS"]
    assert folded("CUSTOMERS") == ["CUSTOMERS"]
    assert name_binds("name", "CUSTOMERS") == {"name": "CUSTOMERS", "folded_name": "CUSTOMERS"}

    rows = [("APP", "CUSTOMERS", "TABLE"), ("APP", "customers", "TABLE")]
    assert best_match(rows, owner="app", name="customers") == ("APP", "customers", "TABLE")
    assert best_match(rows, owner="app", name="Customers") == ("APP", "CUSTOMERS", "TABLE")
    assert best_match(rows, owner="app", name="orders") is None


# Connect descriptors


def test_a_service_name_makes_a_service_name_descriptor() -> None:
    descriptor = dsn(config(connect_timeout=3.5))

    assert "(PROTOCOL=tcp)(HOST=db.example.com)(PORT=1521)" in descriptor
    assert "(CONNECT_DATA=(SERVICE_NAME=FREEPDB1))" in descriptor
    assert "(TRANSPORT_CONNECT_TIMEOUT=3500ms)" in descriptor


def test_a_sid_makes_a_sid_descriptor_and_the_port_defaults_to_1521() -> None:
    descriptor = dsn(config(service_name=None, sid="ORCL", port=None))

    assert "(PORT=1521)" in descriptor
    assert "(CONNECT_DATA=(SID=ORCL))" in descriptor


def test_tls_connects_over_tcps_and_matches_the_server_name() -> None:
    descriptor = dsn(config(port=2484, tls=TlsConfig(enabled=True)))

    assert "(PROTOCOL=tcps)(HOST=db.example.com)(PORT=2484)" in descriptor
    assert "(SSL_SERVER_DN_MATCH=ON)" in descriptor


def test_tls_without_host_name_checks_does_not_match_the_name() -> None:
    params = oracle.connect_params(config(tls=TlsConfig(enabled=True, verify_hostname=False)))

    assert params.protocol == "tcps"
    assert params.ssl_server_dn_match is False


def test_a_given_connect_string_is_used_as_it_is() -> None:
    assert dsn(config(host=None, uri="dbhost:1522/SALESPDB")) == "dbhost:1522/SALESPDB"


# Error classification


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (server_error(1017, "invalid credential or not authorized; logon denied"),
         FailureReason.AUTHENTICATION_FAILED),
        (server_error(28000, "The account is locked."), FailureReason.AUTHENTICATION_FAILED),
        (server_error(28001, "the password has expired"), FailureReason.AUTHENTICATION_FAILED),
        (server_error(1045, "Login denied. User APP lacks CREATE SESSION privilege."),
         FailureReason.PERMISSION_DENIED),
        (server_error(1031, "insufficient privileges"), FailureReason.PERMISSION_DENIED),
        (server_error(942, "table or view does not exist"), FailureReason.TABLE_NOT_FOUND),
        (server_error(1013, "user requested cancel of current operation"),
         FailureReason.TIMEOUT),
        (server_error(12541, "TNS:no listener"), FailureReason.CONNECTION_REFUSED),
        (server_error(12545, "Connect failed because target host or object does not exist"),
         FailureReason.HOST_NOT_FOUND),
        (server_error(12170, "TNS:Connect timeout occurred"), FailureReason.TIMEOUT),
        (server_error(29024, "Certificate validation failure"), FailureReason.TLS_ERROR),
        (driver_error(driver_errors.ERR_INVALID_SERVICE_NAME, service_name="NOPE",
                      host="db", port=1521), FailureReason.DATABASE_NOT_FOUND),
        (driver_error(driver_errors.ERR_INVALID_SID, sid="NOPE", host="db", port=1521),
         FailureReason.DATABASE_NOT_FOUND),
        (driver_error(driver_errors.ERR_LISTENER_REFUSED_CONNECTION, error_code="12514"),
         FailureReason.DATABASE_NOT_FOUND),
        (driver_error(driver_errors.ERR_LISTENER_REFUSED_CONNECTION, error_code="12519"),
         FailureReason.CONNECTION_REFUSED),
        (driver_error(driver_errors.ERR_CALL_TIMEOUT_EXCEEDED, timeout=30000),
         FailureReason.TIMEOUT),
        (driver_error(driver_errors.ERR_INVALID_SERVER_NAME, expected_name="db"),
         FailureReason.TLS_ERROR),
        (driver_error(driver_errors.ERR_CONNECTION_FAILED, ConnectionRefusedError(111, "x"),
                      connection_id="id"), FailureReason.CONNECTION_REFUSED),
        (driver_error(driver_errors.ERR_CONNECTION_FAILED, TimeoutError("timed out"),
                      connection_id="id"), FailureReason.TIMEOUT),
        (driver_error(driver_errors.ERR_CONNECTION_FAILED,
                      ssl.SSLCertVerificationError(1, "certificate verify failed"),
                      connection_id="id"), FailureReason.TLS_ERROR),
        (socket.gaierror(-2, "Name or service not known"), FailureReason.HOST_NOT_FOUND),
    ],
)  # fmt: skip
def test_driver_errors_are_classified(error: BaseException, reason: FailureReason) -> None:
    assert classify(error)[0] is reason


def test_errors_that_need_an_administrator_say_what_to_ask_for() -> None:
    assert "ACCOUNT UNLOCK" in (classify(server_error(28000, "The account is locked."))[1] or "")
    assert "CREATE SESSION" in (classify(server_error(1045, "lacks CREATE SESSION"))[1] or "")


# The real driver against local sockets


def test_a_closed_port_is_refused_at_once() -> None:
    port = unused_port()
    started = time.monotonic()

    report = OracleConnector(config(host="127.0.0.1", port=port)).test()

    assert report.reason is FailureReason.CONNECTION_REFUSED
    assert f"127.0.0.1:{port}/FREEPDB1" in (report.message or "")
    assert "CONNECTION_ID" not in (report.message or "")
    assert time.monotonic() - started < 1.0


def test_an_unresolvable_host_is_reported_as_such() -> None:
    report = OracleConnector(config(host="no-such-host.invalid")).test()

    assert report.reason is FailureReason.HOST_NOT_FOUND
    assert "no-such-host.invalid" in (report.message or "")


def test_a_listener_that_never_answers_times_out_after_the_connect_timeout() -> None:
    # The thin driver's own timeout stops at the TCP connect; this one covers the handshake.
    with silent_socket() as (host, port):
        started = time.monotonic()
        report = OracleConnector(config(host=host, port=port, connect_timeout=1.0)).test()
        elapsed = time.monotonic() - started

    assert report.reason is FailureReason.TIMEOUT
    assert "did not answer within 1 seconds (connecting)" in (report.message or "")
    assert 0.9 < elapsed < 3.0


@pytest.fixture
def not_oracle() -> Iterator[int]:
    """A port whose server answers every connection with a line of HTTP, then hangs up."""
    with serve_tcp(lambda conn: conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")) as port:
        yield port


def test_tls_to_a_server_that_does_not_speak_it_is_a_tls_error(not_oracle: int) -> None:
    report = OracleConnector(
        config(host="127.0.0.1", port=not_oracle, tls=TlsConfig(enabled=True))
    ).test()

    assert report.reason is FailureReason.TLS_ERROR
    assert "TCPS listener" in (report.hint or "")


def test_a_server_that_hangs_up_during_the_handshake_is_explained(not_oracle: int) -> None:
    report = OracleConnector(config(host="127.0.0.1", port=not_oracle)).test()

    assert report.reason is FailureReason.UNKNOWN
    assert "closed the connection" in (report.detail or "")
    assert "Oracle listener" in (report.hint or "")


# Secrets


def test_a_password_in_a_connect_string_never_reaches_a_message() -> None:
    # The driver echoes a connect string it cannot parse, credentials and all.
    uri = f"app/{SECRET}@db host with spaces"
    report = OracleConnector(config(host=None, password=None, uri=uri)).test()

    assert report.reason is FailureReason.UNKNOWN
    assert "cannot parse connect string" in (report.detail or "")
    assert "Easy Connect" in (report.hint or "")
    assert SECRET not in repr(report)


def test_scrub_removes_the_password_of_a_user_password_at_connect_string() -> None:
    connector = OracleConnector(config(uri=f"app/{SECRET}@dbhost/FREEPDB1"))

    assert connector.scrub(f"login as app/{SECRET} failed") == "login as app/****** failed"
    assert SECRET not in connector.scrub(f"the password {SECRET} was wrong")


# Live tests against a real Oracle Database


@pytest.fixture(scope="module")
def live_table() -> Iterator[str]:
    ddl = [
        f"""CREATE TABLE {LIVE_TABLE} (
            id NUMBER(10) GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            email VARCHAR2(320 CHAR) NOT NULL,
            created_at TIMESTAMP(6),
            credit_limit NUMBER(12,2),
            credit_band VARCHAR2(4) AS (CASE WHEN credit_limit > 1000 THEN 'HIGH' ELSE 'LOW' END)
        )""",
        f"COMMENT ON TABLE {LIVE_TABLE} IS 'People who have placed orders'",
        f"COMMENT ON COLUMN {LIVE_TABLE}.email IS 'Login address'",
    ]
    with oracledb.connect(user=LIVE_USER, password=LIVE_PASSWORD, dsn=LIVE_DSN) as conn:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM user_tables WHERE table_name = :name", name=LIVE_TABLE
            )
            if cursor.fetchone()[0]:
                cursor.execute(f"DROP TABLE {LIVE_TABLE} PURGE")
            for statement in ddl:
                cursor.execute(statement)
        yield LIVE_TABLE
        with conn.cursor() as cursor:
            cursor.execute(f"DROP TABLE {LIVE_TABLE} PURGE")


@live
def test_live_connection_test_reports_oracle_and_its_version() -> None:
    report = OracleConnector(live_config()).test()

    assert report.ok, report.message
    assert report.product is not None and report.product.startswith("Oracle")
    assert report.version is not None and report.version[0].isdigit()


@live
def test_live_wrong_password_is_an_authentication_failure() -> None:
    report = OracleConnector(live_config(password="Wr0ng-pw-1")).test()

    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    assert "Wr0ng-pw-1" not in repr(report)


@live
def test_live_tables_are_listed_and_introspected(live_table: str) -> None:
    connector = OracleConnector(live_config())

    assert live_table in [t.name for t in connector.list_tables(limit=5000)]
    info = connector.introspect(table=live_table.lower())
    assert (info.name, info.kind, info.comment) == (
        live_table,
        TableKind.TABLE,
        "People who have placed orders",
    )
    assert [(c.name, c.data_type, c.nullable, c.primary_key, c.comment) for c in info.columns] == [
        ("ID", "NUMBER(10,0)", False, True, None),
        ("EMAIL", "VARCHAR2(320 CHAR)", False, False, "Login address"),
        ("CREATED_AT", "TIMESTAMP(6)", True, False, None),
        ("CREDIT_LIMIT", "NUMBER(12,2)", True, False, None),
        ("CREDIT_BAND", "VARCHAR2(4 BYTE)", True, False, None),
    ]
    generated = [c.generated for c in info.columns]
    assert generated[:4] == ["IDENTITY ALWAYS", None, None, None]
    assert generated[4] is not None and generated[4].startswith("VIRTUAL AS (CASE")


@live
def test_live_missing_table_is_not_found() -> None:
    with pytest.raises(ConnectorError) as caught:
        OracleConnector(live_config()).introspect(table="clew_no_such_table")

    assert caught.value.reason is FailureReason.TABLE_NOT_FOUND
