"""PostgreSQL's catalog, as the PostgreSQL connector reads it: the SQL and the mapping of its
rows to TableInfo.

Every reader takes a batch of tables (by oid) and reads all of them in one query, so
`introspect` (a batch of one) and a scan (batches of BATCH) share one code path. Columns come
from pg_attribute, not information_schema: the latter leaves out materialized views and hides
the columns a column-level grant keeps from the account, which a catalog needs most (they are
often the personal data); a note names those columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graph_api.connectors.base import ColumnInfo, TableInfo
from graph_api.models import TableKind

FIND_SCHEMAS_SQL = """
SELECT n.nspname
FROM pg_catalog.pg_namespace n
WHERE n.nspname = ANY(%(names)s)
"""

USER_SCHEMAS_SQL = """
SELECT n.nspname
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY n.nspname
LIMIT 1000
"""

# Partitions are left out: they are reached through their partitioned parent.
LIST_TABLES_SQL = """
SELECT n.nspname, c.relname, c.relkind
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND CASE WHEN %(schema)s::text IS NULL
           THEN n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
           ELSE n.nspname = %(schema)s::text
      END
ORDER BY n.nspname, c.relname
LIMIT %(limit)s
"""

# What a table is, as its catalog row says; partitions are reached through their parent,
# whose note counts them. pg_get_viewdef needs no privilege on the view.
TABLE_SELECT = """
SELECT c.oid,
       n.nspname,
       c.relname,
       c.relkind,
       c.reltuples::float8,
       pg_catalog.obj_description(c.oid, 'pg_class'),
       pg_catalog.has_schema_privilege(n.oid, 'USAGE')
           AND pg_catalog.has_any_column_privilege(c.oid, 'SELECT'),
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid, true) END,
       CASE WHEN c.relkind = 'p' THEN (
           SELECT count(*) FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid
       ) END
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""

FIND_TABLES_SQL = (
    TABLE_SELECT
    + """
  AND n.nspname = ANY(%(schemas)s)
  AND c.relname = ANY(%(names)s)
"""
)

# One namespace's tables, in the order a scan yields them (byte order, as Python sorts).
SCHEMA_TABLES_SQL = (
    TABLE_SELECT
    + """
  AND NOT c.relispartition
  AND n.nspname = %(schema)s
ORDER BY c.relname COLLATE "C"
"""
)

# Every user schema, with how many of each kind it holds (partitions counted in their parent).
DISCOVER_SQL = """
SELECT n.nspname,
       pg_catalog.obj_description(n.oid, 'pg_namespace'),
       count(c.oid) FILTER (WHERE c.relkind IN ('r', 'p', 'f')),
       count(c.oid) FILTER (WHERE c.relkind = 'v'),
       count(c.oid) FILTER (WHERE c.relkind = 'm')
FROM pg_catalog.pg_namespace n
LEFT JOIN pg_catalog.pg_class c
       ON c.relnamespace = n.oid
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND NOT c.relispartition
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
GROUP BY n.oid, n.nspname
ORDER BY n.nspname COLLATE "C"
"""

# For "did you mean": everything in the schemas searched, and the same name (any case)
# anywhere else.
NEAR_TABLES_SQL = """
SELECT n.nspname, c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND (n.nspname = ANY(%(schemas)s) OR lower(c.relname) = lower(%(name)s))
ORDER BY n.nspname, c.relname
LIMIT 5000
"""

# The bulk readers: each reads a batch of tables (one, for `introspect`) in one query.
# attnum is information_schema's ordinal_position. An array type's category is 'A'.
COLUMNS_SQL = """
SELECT a.attrelid,
       a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       NOT a.attnotnull,
       a.attnum::int,
       pg_catalog.col_description(a.attrelid, a.attnum),
       t.typcategory = 'A',
       pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT'),
       a.attidentity,
       a.attgenerated,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d
       ON d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.attgenerated <> ''
WHERE a.attrelid = ANY(%(oids)s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

# Key columns only (INCLUDE columns are payload); expressions as PostgreSQL writes them.
INDEXES_SQL = """
SELECT ix.indrelid,
       ic.relname,
       ix.indisprimary,
       ix.indisunique,
       am.amname,
       ix.indpred IS NOT NULL,
       ARRAY(
           SELECT pg_catalog.pg_get_indexdef(ix.indexrelid, k, true)
           FROM generate_series(1, ix.indnkeyatts) AS k
           ORDER BY k
       )
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE ix.indrelid = ANY(%(oids)s::oid[])
ORDER BY ix.indrelid, ic.relname
"""

PRIMARY_KEY_SQL = """
SELECT i.indrelid, a.attname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = ANY(%(oids)s::oid[]) AND i.indisprimary
"""

# Tables read per round of bulk queries: a scan of N tables sends 1 + 3 * ceil(N / BATCH)
# queries, and holds one batch's rows at a time.
BATCH = 1000

KINDS = {
    "r": TableKind.TABLE,
    "p": TableKind.TABLE,  # partitioned table
    "f": TableKind.TABLE,  # foreign table
    "v": TableKind.VIEW,
    "m": TableKind.MATERIALIZED_VIEW,
}


@dataclass(frozen=True)
class Found:
    oid: int
    schema: str
    name: str
    kind: TableKind
    row_estimate: float | None
    comment: str | None
    readable: bool
    definition: str | None
    partitions: int | None


def found_row(row: tuple[Any, ...]) -> Found:
    """A row of TABLE_SELECT."""
    oid, schema, name, kind, estimate, comment, readable, definition, partitions = row
    return Found(
        oid=oid,
        schema=schema,
        name=name,
        kind=KINDS[kind],
        row_estimate=estimate,
        comment=comment,
        readable=bool(readable),
        definition=definition,
        partitions=partitions,
    )


def _generated(identity: str, generated: str, expression: str | None) -> str | None:
    """pg_attribute's attidentity ('a' always, 'd' by default) and attgenerated ('s' stored,
    'v' virtual from PostgreSQL 18), as the column's DDL says them."""
    if identity:
        return "IDENTITY ALWAYS" if identity == "a" else "IDENTITY BY DEFAULT"
    if generated:
        return f"{'STORED' if generated == 's' else 'VIRTUAL'} AS ({expression})"
    return None


def ident(name: str) -> str:
    """A name as it must be written in PostgreSQL SQL (quoted only when needed)."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def describe_index(row: tuple[Any, ...]) -> str:
    """'orders_pkey (customer_id, order_no) primary key', 'ix_email (lower(email)) unique'."""
    name, primary, unique, method, partial, columns = row
    flags = ["primary key" if primary else "unique" if unique else ""]
    flags += ["" if method == "btree" else str(method), "partial" if partial else ""]
    suffix = " ".join(flag for flag in flags if flag)
    return f"{name} ({', '.join(columns)})" + (f" {suffix}" if suffix else "")


def table_info(
    found: Found,
    columns: list[tuple[Any, ...]],
    keys: set[str],
    indexes: list[tuple[Any, ...]],
    *,
    user: str,
) -> TableInfo:
    notes = []
    row_count = None
    if found.kind is TableKind.MATERIALIZED_VIEW:
        notes.append(
            "A materialized view: its rows are stored, as of its last REFRESH MATERIALIZED VIEW."
        )
    if found.partitions is not None:
        notes.append(
            f"A partitioned table with {found.partitions} partitions, read through this parent."
        )
    if found.kind is not TableKind.VIEW and found.row_estimate is not None:
        if found.row_estimate < 0:
            notes.append("No row estimate: the table has not been analyzed yet.")
        else:
            row_count = int(found.row_estimate)
            notes.append("Row count is PostgreSQL's estimate (pg_class.reltuples).")
    hidden = [row[0] for row in columns if not row[6]]
    if hidden:
        listed = ", ".join(hidden)
        notes.append(
            f"The account '{user}' may not read {len(hidden)} of {len(columns)} columns "
            f"({listed}): its grant covers only some columns. They are listed from the system "
            f"catalog; to read their data, GRANT SELECT ({listed}) ON "
            f"{ident(found.schema)}.{ident(found.name)} TO {ident(user)}."
        )
    return TableInfo(
        schema=found.schema,
        name=found.name,
        kind=found.kind,
        comment=found.comment,
        row_count=row_count,
        columns=[
            ColumnInfo(
                name=name,
                data_type=data_type,
                nullable=bool(nullable) and name not in keys,
                primary_key=name in keys,
                ordinal_position=position,
                comment=comment,
                is_array=bool(is_array),
                generated=_generated(identity, generated, expression),
            )
            for (
                name,
                data_type,
                nullable,
                position,
                comment,
                is_array,
                _readable,
                identity,
                generated,
                expression,
            ) in columns
        ],
        indexes=[describe_index(row) for row in indexes],
        notes=notes,
        definition=found.definition,
    )
