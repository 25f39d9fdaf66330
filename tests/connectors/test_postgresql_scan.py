"""Discovering and scanning a real PostgreSQL: what a scan reads, and how few queries it sends.

The schemas here are created by this module as the superuser (over the server's private
socket) and dropped at its end; the read-only test user gets what each test needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from graph_api.connectors.base import (
    ConnectionConfig,
    ConnectorError,
    FailureReason,
    Missing,
    ScanWarning,
)
from graph_api.connectors.postgresql import PostgresConnector
from graph_api.models import SourceType, TableKind
from tests.connectors.scanning import connectors, names, scan, tables
from tests.servers.fixtures import SERVERS_DIR
from tests.servers.sql import TEST_USER, ServerInfo

SEED = f"""
CREATE SCHEMA scan_crm;
COMMENT ON SCHEMA scan_crm IS 'Customer relations';
CREATE DOMAIN scan_crm.email_address AS character varying(320) CHECK (VALUE LIKE '%@%');
CREATE DOMAIN scan_crm.tag_list AS text[];
CREATE TYPE scan_crm.mood AS ENUM ('happy', 'sad');
CREATE TABLE scan_crm.accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email scan_crm.email_address NOT NULL,
    mood scan_crm.mood,
    tags scan_crm.tag_list,
    price numeric(12,2),
    quantity integer,
    total numeric GENERATED ALWAYS AS (price * quantity) STORED,
    code character(4)
);
COMMENT ON TABLE scan_crm.accounts IS 'Who buys';
COMMENT ON COLUMN scan_crm.accounts.email IS 'Where to write';
CREATE TABLE scan_crm.lines (
    account_id bigint NOT NULL,
    line_no smallint NOT NULL,
    note text,
    PRIMARY KEY (account_id, line_no)
);
CREATE TABLE scan_crm.measurements (
    taken_on date NOT NULL,
    value double precision
) PARTITION BY RANGE (taken_on);
CREATE TABLE scan_crm.measurements_2025 PARTITION OF scan_crm.measurements
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE scan_crm.measurements_2026 PARTITION OF scan_crm.measurements
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW scan_crm.account_emails AS SELECT id, email FROM scan_crm.accounts;
CREATE MATERIALIZED VIEW scan_crm.line_counts AS
    SELECT account_id, count(*) AS lines FROM scan_crm.lines GROUP BY account_id;
CREATE TABLE scan_crm.secrets (id bigint PRIMARY KEY, secret text);

CREATE SCHEMA scan_ops;
CREATE TABLE scan_ops.jobs (id integer PRIMARY KEY);
CREATE TABLE scan_ops.job_runs (job_id integer NOT NULL, started_at timestamptz);
CREATE VIEW scan_ops.running AS SELECT job_id FROM scan_ops.job_runs;

CREATE SCHEMA scan_empty;

GRANT USAGE ON SCHEMA scan_crm, scan_ops, scan_empty TO {TEST_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA scan_crm, scan_ops TO {TEST_USER};
REVOKE SELECT ON scan_crm.secrets FROM {TEST_USER};
"""

DROP = "DROP SCHEMA IF EXISTS scan_crm, scan_ops, scan_empty, scan_bulk10, scan_bulk500 CASCADE"


def _bulk(schema: str, tables: int) -> str:
    return f"""
CREATE SCHEMA {schema};
DO $$
BEGIN
    FOR i IN 1..{tables} LOOP
        EXECUTE format(
            'CREATE TABLE {schema}.t%s (id bigint PRIMARY KEY, name text, amount numeric(10,2),'
            ' at timestamptz, flags boolean[])', lpad(i::text, 4, '0'));
    END LOOP;
END $$;
GRANT USAGE ON SCHEMA {schema} TO {TEST_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {TEST_USER};
"""


def _superuser(postgres: ServerInfo) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=str(SERVERS_DIR / "postgres" / "run"),
        port=postgres.port,
        user="postgres",
        dbname=postgres.database,
        autocommit=True,
    )


@pytest.fixture(scope="module")
def seeded(postgres: ServerInfo) -> Iterator[ServerInfo]:
    with _superuser(postgres) as admin:
        admin.execute(DROP)
        admin.execute(SEED)
        admin.execute(_bulk("scan_bulk10", 10))
        admin.execute(_bulk("scan_bulk500", 500))
    yield postgres
    with _superuser(postgres) as admin:
        admin.execute(DROP)


class _CountingCursor(psycopg.Cursor[Any]):
    sent: list[str]

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        _CountingCursor.sent.append(str(query))
        return super().execute(query, *args, **kwargs)


class CountingPostgres(PostgresConnector):
    """Counts, at the driver, every query the connector sends once connected."""

    def _connect(self) -> psycopg.Connection[Any]:
        conn = super()._connect()
        conn.cursor_factory = _CountingCursor
        return conn


Make = Callable[..., PostgresConnector]


@pytest.fixture
def make(seeded: ServerInfo) -> Iterator[Make]:
    config = ConnectionConfig(
        type=SourceType.POSTGRESQL,
        host=seeded.host,
        port=seeded.port,
        database=seeded.database,
        username=seeded.user,
        password=seeded.password,
    )
    yield from connectors(config, PostgresConnector)


def test_discover_lists_each_schema_with_its_counts_and_comment(make: Make) -> None:
    found = {n.name: n for n in make().discover()}

    assert list(found) == sorted(found)
    assert {"public", "sales", "scan_crm", "scan_ops", "scan_empty"} <= set(found)
    assert not any(name.startswith("pg_") or name == "information_schema" for name in found)
    # Partitions are counted in their parent, not on their own.
    assert found["scan_crm"].counts == {
        TableKind.TABLE: 4,
        TableKind.VIEW: 1,
        TableKind.MATERIALIZED_VIEW: 1,
    }
    assert found["scan_crm"].comment == "Customer relations"
    assert found["scan_ops"].counts[TableKind.VIEW] == 1
    assert found["scan_empty"].counts == {
        TableKind.TABLE: 0,
        TableKind.VIEW: 0,
        TableKind.MATERIALIZED_VIEW: 0,
    }


def test_a_scan_yields_every_table_sorted_and_warns_about_the_unreadable_one(
    make: Make, seeded: ServerInfo
) -> None:
    results = scan(make(), "scan_crm")

    assert list(zip(names(results), [type(r).__name__ for r in results], strict=True)) == [
        ("account_emails", "TableInfo"),
        ("accounts", "TableInfo"),
        ("line_counts", "TableInfo"),
        ("lines", "TableInfo"),
        ("measurements", "TableInfo"),
        ("secrets", "ScanWarning"),
    ]
    warning = results[-1]
    assert isinstance(warning, ScanWarning)
    assert (warning.namespace, warning.table, warning.reason) == (
        "scan_crm",
        "secrets",
        FailureReason.PERMISSION_DENIED,
    )
    assert f"'{seeded.user}' may not read 'scan_crm.secrets'" in warning.message
    assert seeded.password not in warning.message


def test_a_scanned_table_reads_exactly_as_when_fetched_alone(make: Make) -> None:
    connector = make()

    for info in tables(scan(connector, "scan_crm")).values():
        assert info == connector.introspect(table=info.name, schema="scan_crm")


def test_types_keys_and_comments_are_read_as_the_database_shows_them(make: Make) -> None:
    found = tables(scan(make(), "scan_crm"))
    accounts = found["accounts"]

    assert accounts.comment == "Who buys"
    assert [
        (c.ordinal_position, c.name, c.data_type, c.nullable, c.primary_key, c.is_array)
        for c in accounts.columns
    ] == [
        (1, "id", "bigint", False, True, False),
        (2, "email", "scan_crm.email_address", False, False, False),
        (3, "mood", "scan_crm.mood", True, False, False),
        (4, "tags", "scan_crm.tag_list", True, False, True),
        (5, "price", "numeric(12,2)", True, False, False),
        (6, "quantity", "integer", True, False, False),
        (7, "total", "numeric", True, False, False),
        (8, "code", "character(4)", True, False, False),
    ]
    assert accounts.columns[1].comment == "Where to write"
    assert [c.name for c in found["lines"].columns if c.primary_key] == ["account_id", "line_no"]
    assert found["lines"].indexes == ["lines_pkey (account_id, line_no) primary key"]


def test_views_carry_their_defining_sql_and_tables_none(make: Make) -> None:
    found = tables(scan(make(), "scan_crm"))

    view, materialized = found["account_emails"], found["line_counts"]
    assert view.kind is TableKind.VIEW
    assert view.definition is not None and "FROM scan_crm.accounts" in view.definition
    assert materialized.kind is TableKind.MATERIALIZED_VIEW
    assert materialized.definition is not None and "count(*)" in materialized.definition
    assert found["accounts"].definition is None


def test_a_partitioned_table_is_one_table_with_a_note_not_one_per_partition(
    make: Make,
) -> None:
    measurements = tables(scan(make(), "scan_crm"))["measurements"]

    assert [c.name for c in measurements.columns] == ["taken_on", "value"]
    assert "A partitioned table with 2 partitions, read through this parent." in (
        measurements.notes
    )


def test_include_exclude_and_kinds_choose_what_is_read(make: Make) -> None:
    connector = make()

    assert names(scan(connector, "scan_ops", include=("JOB*",))) == [
        "job_runs",
        "jobs",
    ]
    assert names(scan(connector, "scan_ops", exclude=("*_runs",))) == [
        "jobs",
        "running",
    ]
    assert names(scan(connector, "scan_ops", kinds=frozenset({TableKind.VIEW}))) == ["running"]
    assert scan(connector, "scan_ops", include=("nothing*",)) == []
    assert scan(connector, "scan_empty") == []


def test_an_unknown_schema_is_not_found_with_a_near_match(make: Make) -> None:
    with pytest.raises(ConnectorError) as caught:
        scan(make(), "scan_opz")

    assert caught.value.reason is FailureReason.DATABASE_NOT_FOUND
    assert caught.value.missing == Missing("schema", "scan_opz")
    assert "Schema 'scan_opz' was not found in database 'shop'." in caught.value.message
    assert "Did you mean 'scan_ops'" in caught.value.message


def test_a_schema_is_found_as_given_or_folded_to_lower_case(make: Make) -> None:
    assert names(scan(make(), "SCAN_OPS")) == ["job_runs", "jobs", "running"]


def test_the_queries_a_scan_sends_do_not_grow_with_the_number_of_tables(make: Make) -> None:
    sent: dict[int, int] = {}
    for count in (10, 500):
        connector = make(CountingPostgres)
        _CountingCursor.sent = []
        found = tables(scan(connector, f"scan_bulk{count}"))
        assert len(found) == count
        assert [c.name for c in found["t0001"].columns] == ["id", "name", "amount", "at", "flags"]
        sent[count] = len(_CountingCursor.sent)

    # Resolve the schema, list its tables, then columns, keys and indexes in one query each.
    assert sent[10] == sent[500] == 5
