"""MySQL's and MariaDB's catalog, as the MySQL connector reads it: information_schema SQL,
always filtered by schema, and the mapping of its rows to TableInfo.

Every bulk reader takes one schema and a batch of table names and reads all of them in one
query, so `introspect` (a batch of one) and a scan (batches of BATCH) share one code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph_api.connectors.base import ColumnInfo, TableInfo
from graph_api.models import TableKind

SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")

LIST_TABLES_SQL = """
SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE
FROM information_schema.TABLES
WHERE (%(schema)s IS NULL AND TABLE_SCHEMA NOT IN %(system)s)
   OR TABLE_SCHEMA = %(schema)s
ORDER BY CAST(TABLE_SCHEMA AS BINARY), CAST(TABLE_NAME AS BINARY)
LIMIT %(limit)s
"""

_TABLE_SELECT = """
SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_ROWS, TABLE_COMMENT
FROM information_schema.TABLES
"""

# Case-insensitive on purpose: the caller decides whether a case-only match counts.
FIND_TABLES_SQL = (
    _TABLE_SELECT
    + """
WHERE LOWER(TABLE_SCHEMA) = LOWER(%(schema)s) AND LOWER(TABLE_NAME) = LOWER(%(table)s)
"""
)

# One schema's tables, in the order a scan yields them (byte order, as Python sorts).
NAMESPACE_TABLES_SQL = (
    _TABLE_SELECT
    + """
WHERE TABLE_SCHEMA = %(schema)s
ORDER BY CAST(TABLE_NAME AS BINARY)
"""
)

SCHEMA_TABLES_SQL = """
SELECT TABLE_NAME
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = %(schema)s
LIMIT 5000
"""

FIND_SCHEMAS_SQL = """
SELECT SCHEMA_NAME
FROM information_schema.SCHEMATA
WHERE LOWER(SCHEMA_NAME) = LOWER(%(schema)s)
"""

# The databases the account can see (SCHEMATA shows no other), with what each holds.
DISCOVER_SQL = """
SELECT s.SCHEMA_NAME,
       COALESCE(SUM(t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'TEMPORARY')), 0),
       COALESCE(SUM(t.TABLE_TYPE IN ('VIEW', 'SYSTEM VIEW')), 0)
FROM information_schema.SCHEMATA s
LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
WHERE s.SCHEMA_NAME NOT IN %(system)s
GROUP BY s.SCHEMA_NAME
ORDER BY CAST(s.SCHEMA_NAME AS BINARY)
"""

# The bulk readers. COLUMN_KEY = 'PRI' is not enough: without a primary key, MySQL shows
# the first unique NOT NULL index as PRI too. The constraint named PRIMARY is the real one.
COLUMNS_SQL = """
SELECT c.TABLE_NAME,
       c.COLUMN_NAME,
       c.COLUMN_TYPE,
       c.IS_NULLABLE = 'YES',
       k.COLUMN_NAME IS NOT NULL,
       c.ORDINAL_POSITION,
       c.COLUMN_COMMENT,
       c.EXTRA,
       c.GENERATION_EXPRESSION
FROM information_schema.COLUMNS c
LEFT JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.TABLE_SCHEMA = c.TABLE_SCHEMA
 AND k.TABLE_NAME = c.TABLE_NAME
 AND k.COLUMN_NAME = c.COLUMN_NAME
 AND k.CONSTRAINT_NAME = 'PRIMARY'
WHERE c.TABLE_SCHEMA = %(schema)s AND c.TABLE_NAME IN %(tables)s
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION
"""

INDEXES_SQL = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME, SUB_PART, COLLATION
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = %(schema)s AND TABLE_NAME IN %(tables)s
ORDER BY TABLE_NAME, INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX
"""

# VIEW_DEFINITION is empty for an account without SHOW VIEW on the view.
VIEWS_SQL = """
SELECT TABLE_NAME, VIEW_DEFINITION
FROM information_schema.VIEWS
WHERE TABLE_SCHEMA = %(schema)s AND TABLE_NAME IN %(tables)s
"""

# information_schema shows an account only the columns it may use: with SELECT granted on
# some columns only (and not on the table, its database or globally), the list is partial.
# A row per grant: on a column ('column'), a table ('table'), or wider (no table name).
PRIVILEGES_SQL = """
SELECT DISTINCT TABLE_NAME, 'column' FROM information_schema.COLUMN_PRIVILEGES
WHERE TABLE_SCHEMA = %(schema)s AND TABLE_NAME IN %(tables)s AND PRIVILEGE_TYPE = 'SELECT'
UNION ALL
SELECT TABLE_NAME, 'table' FROM information_schema.TABLE_PRIVILEGES
WHERE TABLE_SCHEMA = %(schema)s AND TABLE_NAME IN %(tables)s AND PRIVILEGE_TYPE = 'SELECT'
UNION ALL
SELECT NULL, 'wider' FROM information_schema.SCHEMA_PRIVILEGES
WHERE TABLE_SCHEMA = %(schema)s AND PRIVILEGE_TYPE = 'SELECT'
UNION ALL
SELECT NULL, 'wider' FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'SELECT'
"""

# Identifiers cannot be bound; both are quoted with quote_ident. Only run when
# information_schema does not show the table, to learn whether it is missing or forbidden.
PROBE_SQL = "SELECT 1 FROM {schema}.{table} LIMIT 0"

# Tables read per round of bulk queries: a scan of N tables sends a constant 3 queries plus
# 4 * ceil(N / BATCH), and holds one batch's rows at a time.
BATCH = 1000

KINDS = {
    "BASE TABLE": TableKind.TABLE,
    "SYSTEM VERSIONED": TableKind.TABLE,  # MariaDB
    "TEMPORARY": TableKind.TABLE,
    "VIEW": TableKind.VIEW,
    "SYSTEM VIEW": TableKind.VIEW,
}


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True)
class Found:
    schema: str
    name: str
    kind: TableKind
    rows: int | None
    comment: str | None


def found_row(row: tuple[Any, ...]) -> Found:
    """A row of _TABLE_SELECT."""
    schema, name, kind, row_count, comment = row
    return Found(
        schema=schema,
        name=name,
        kind=KINDS.get(kind, TableKind.OTHER),
        rows=row_count,
        # A view's TABLE_COMMENT is the word VIEW, not a comment.
        comment=None if kind in ("VIEW", "SYSTEM VIEW") else (comment or None),
    )


def partially_granted(rows: list[Any]) -> set[str]:
    """The tables of PRIVILEGES_SQL's rows whose columns the account sees only some of."""
    if any(grant == "wider" for _table, grant in rows):
        return set()
    columns = {t for t, grant in rows if grant == "column"}
    return columns - {t for t, grant in rows if grant == "table"}


def describe_index(rows: list[Any]) -> str:
    """'PRIMARY (customer_id, order_no) primary key', 'staff_ssn (ssn) unique'; one index's
    STATISTICS rows, in column order."""
    name, non_unique, index_type = rows[0][0], rows[0][1], rows[0][2]
    columns = []
    for _name, _non_unique, _type, column, sub_part, collation in rows:
        text = f"{column}({sub_part})" if sub_part else str(column)
        columns.append(f"{text} desc" if collation == "D" else text)
    flags = ["primary key" if name == "PRIMARY" else "" if int(non_unique) else "unique"]
    flags.append("" if index_type == "BTREE" else str(index_type).lower())
    suffix = " ".join(flag for flag in flags if flag)
    return f"{name} ({', '.join(columns)})" + (f" {suffix}" if suffix else "")


def _indexes(rows: list[Any]) -> list[str]:
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(str(row[0]), []).append(row)
    return [describe_index(group) for group in grouped.values()]


def _generated(extra: str | None, expression: str | None) -> str | None:
    """COLUMNS.EXTRA's 'auto_increment', 'VIRTUAL GENERATED' or 'STORED GENERATED' (MariaDB:
    also 'PERSISTENT GENERATED'), with GENERATION_EXPRESSION, as the column's DDL says them."""
    words = (extra or "").upper().split()
    if "AUTO_INCREMENT" in words:
        return "AUTO_INCREMENT"
    if "GENERATED" in words:
        storage = "VIRTUAL" if "VIRTUAL" in words else "STORED"
        return f"{storage} AS ({expression})"
    return None


def table_info(
    found: Found,
    columns: list[Any],
    indexes: list[Any],
    *,
    definition: str | None,
    partial_note: str | None,
) -> TableInfo:
    notes = []
    if found.kind is TableKind.TABLE and found.rows is not None:
        notes.append("Row count is the storage engine's estimate (TABLE_ROWS).")
    if partial_note:
        notes.append(partial_note)
    return TableInfo(
        schema=found.schema,
        name=found.name,
        kind=found.kind,
        comment=found.comment,
        row_count=found.rows if found.kind is TableKind.TABLE else None,
        columns=[
            ColumnInfo(
                name=name,
                data_type=column_type,
                nullable=bool(nullable),
                primary_key=bool(primary_key),
                ordinal_position=int(position),
                comment=comment or None,
                generated=_generated(extra, expression),
            )
            for name, column_type, nullable, primary_key, position, comment, extra, expression in (
                columns
            )
        ],
        indexes=_indexes(indexes),
        notes=notes,
        definition=definition or None,
    )
