"""Oracle's catalog, as the Oracle connector reads it: ALL_* views filtered by owner, with
bind variables only (no name is ever formatted into SQL), and the mapping of their rows.

Every bulk reader takes an owner and an optional table name (`NVL(:table_name, ...)`):
`introspect` binds the one table, a scan binds None and reads the whole owner with the same
statements, so a table reads the same whichever way it was fetched. These are pure
functions, tested without a server with rows shaped as Oracle returns them
(tests/connectors/test_oracle.py).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from graph_api.connectors.base import ColumnInfo, TableInfo
from graph_api.models import TableKind

# A materialized view is stored as a table of the same name; ALL_MVIEWS tells them apart.
# Nested tables, secondary (domain index) tables, IOT overflow segments and tables in the
# recycle bin are storage details, not something a user picks.
LIST_TABLES_SQL = """
SELECT owner, name, kind
FROM (
    SELECT t.owner, t.table_name AS name,
           CASE WHEN m.mview_name IS NULL THEN 'TABLE' ELSE 'MATERIALIZED_VIEW' END AS kind
    FROM all_tables t
    LEFT JOIN all_mviews m ON m.owner = t.owner AND m.mview_name = t.table_name
    WHERE t.owner = :owner
      AND t.nested = 'NO'
      AND t.secondary = 'N'
      AND t.dropped = 'NO'
      AND (t.iot_type IS NULL OR t.iot_type = 'IOT')
    UNION ALL
    SELECT v.owner, v.view_name, 'VIEW'
    FROM all_views v
    WHERE v.owner = :owner
)
ORDER BY name
FETCH FIRST :max_rows ROWS ONLY
"""

FIND_OWNERS_SQL = """
SELECT username
FROM all_users
WHERE username IN (:owner, :folded_owner)
"""

# Rows of both are Found's fields: owner, name, kind, num_rows, comments.
FIND_TABLES_SQL = """
SELECT o.owner, o.name, o.kind, o.num_rows, c.comments
FROM (
    SELECT t.owner, t.table_name AS name,
           CASE WHEN m.mview_name IS NULL THEN 'TABLE' ELSE 'MATERIALIZED_VIEW' END AS kind,
           t.num_rows
    FROM all_tables t
    LEFT JOIN all_mviews m ON m.owner = t.owner AND m.mview_name = t.table_name
    WHERE t.owner IN (:owner, :folded_owner)
      AND t.table_name IN (:name, :folded_name)
      AND t.dropped = 'NO'
    UNION ALL
    SELECT v.owner, v.view_name, 'VIEW', NULL
    FROM all_views v
    WHERE v.owner IN (:owner, :folded_owner)
      AND v.view_name IN (:name, :folded_name)
) o
LEFT JOIN all_tab_comments c ON c.owner = o.owner AND c.table_name = o.name
"""

# Everything a scan reads of one owner, as LIST_TABLES_SQL lists it, in name order.
OWNER_TABLES_SQL = """
SELECT o.owner, o.name, o.kind, o.num_rows, c.comments
FROM (
    SELECT t.owner, t.table_name AS name,
           CASE WHEN m.mview_name IS NULL THEN 'TABLE' ELSE 'MATERIALIZED_VIEW' END AS kind,
           t.num_rows
    FROM all_tables t
    LEFT JOIN all_mviews m ON m.owner = t.owner AND m.mview_name = t.table_name
    WHERE t.owner = :owner
      AND t.nested = 'NO'
      AND t.secondary = 'N'
      AND t.dropped = 'NO'
      AND (t.iot_type IS NULL OR t.iot_type = 'IOT')
    UNION ALL
    SELECT v.owner, v.view_name, 'VIEW', NULL
    FROM all_views v
    WHERE v.owner = :owner
) o
LEFT JOIN all_tab_comments c ON c.owner = o.owner AND c.table_name = o.name
ORDER BY o.name
"""

# Every schema that is not Oracle's own (ORACLE_MAINTAINED, 12c and later), with what it
# holds that the account may see; a materialized view's container table is not a table.
DISCOVER_SQL = """
SELECT u.username,
       (SELECT COUNT(*) FROM all_tables t
        WHERE t.owner = u.username
          AND t.nested = 'NO' AND t.secondary = 'N' AND t.dropped = 'NO'
          AND (t.iot_type IS NULL OR t.iot_type = 'IOT')
          AND NOT EXISTS (SELECT 1 FROM all_mviews m
                          WHERE m.owner = t.owner AND m.mview_name = t.table_name)),
       (SELECT COUNT(*) FROM all_views v WHERE v.owner = u.username),
       (SELECT COUNT(*) FROM all_mviews m WHERE m.owner = u.username)
FROM all_users u
WHERE u.oracle_maintained = 'N'
ORDER BY u.username
"""

# For "did you mean" when a schema is not found.
NEAR_OWNERS_SQL = """
SELECT username
FROM all_users
ORDER BY username
FETCH FIRST 5000 ROWS ONLY
"""

# For "did you mean": what the owner has, and the same name (any case) elsewhere.
NEAR_TABLES_SQL = """
SELECT owner, name
FROM (
    SELECT owner, table_name AS name FROM all_tables
    WHERE dropped = 'NO' AND (owner = :owner OR UPPER(table_name) = UPPER(:name))
    UNION ALL
    SELECT owner, view_name FROM all_views
    WHERE owner = :owner OR UPPER(view_name) = UPPER(:name)
)
FETCH FIRST 5000 ROWS ONLY
"""

# The bulk readers: :table_name is the one table of `introspect`, or NULL for a whole owner.
# The selected columns are the table's name, then ColumnRow's fields, in order.
COLUMNS_SQL = """
SELECT c.table_name,
       c.column_name,
       c.data_type,
       c.data_type_owner,
       c.data_length,
       c.char_length,
       c.char_used,
       c.data_precision,
       c.data_scale,
       c.nullable,
       c.column_id,
       cc.comments,
       CASE WHEN pk.column_name IS NULL THEN 'N' ELSE 'Y' END AS primary_key,
       ic.generation_type,
       c.virtual_column,
       c.data_default_vc
FROM all_tab_cols c
LEFT JOIN all_tab_identity_cols ic
       ON ic.owner = c.owner AND ic.table_name = c.table_name
      AND ic.column_name = c.column_name
LEFT JOIN all_col_comments cc
       ON cc.owner = c.owner AND cc.table_name = c.table_name
      AND cc.column_name = c.column_name
LEFT JOIN (
    SELECT acc.table_name, acc.column_name
    FROM all_constraints ac
    JOIN all_cons_columns acc
      ON acc.owner = ac.owner AND acc.constraint_name = ac.constraint_name
     AND acc.table_name = ac.table_name
    WHERE ac.owner = :owner
      AND ac.table_name = NVL(:table_name, ac.table_name)
      AND ac.constraint_type = 'P'
) pk ON pk.table_name = c.table_name AND pk.column_name = c.column_name
WHERE c.owner = :owner AND c.table_name = NVL(:table_name, c.table_name)
  AND c.hidden_column = 'NO'
ORDER BY c.table_name, c.column_id
"""


# One row per index column, in order, after the table's name. A function-based (or
# descending) index column is a hidden SYS_NC...$ column; its expression is in
# ALL_IND_EXPRESSIONS.
INDEXES_SQL = """
SELECT i.table_name,
       i.index_name,
       i.uniqueness,
       i.index_type,
       ic.column_name,
       ic.descend,
       e.column_expression,
       CASE WHEN pk.constraint_name IS NULL THEN 'N' ELSE 'Y' END AS primary_key
FROM all_indexes i
JOIN all_ind_columns ic ON ic.index_owner = i.owner AND ic.index_name = i.index_name
LEFT JOIN all_ind_expressions e
       ON e.index_owner = ic.index_owner AND e.index_name = ic.index_name
      AND e.column_position = ic.column_position
LEFT JOIN all_constraints pk
       ON pk.owner = i.table_owner AND pk.table_name = i.table_name
      AND pk.index_name = i.index_name AND pk.constraint_type = 'P'
WHERE i.table_owner = :owner AND i.table_name = NVL(:table_name, i.table_name)
ORDER BY i.table_name, i.index_name, ic.column_position
"""

# The defining SQL, as stored (LONG columns: they cannot join the UNION above).
VIEW_TEXTS_SQL = """
SELECT view_name, text
FROM all_views
WHERE owner = :owner AND view_name = NVL(:table_name, view_name)
"""

MVIEW_QUERIES_SQL = """
SELECT mview_name, query
FROM all_mviews
WHERE owner = :owner AND mview_name = NVL(:table_name, mview_name)
"""


class IndexRow(NamedTuple):
    """One row of INDEXES_SQL."""

    index_name: str
    uniqueness: str  # 'UNIQUE' / 'NONUNIQUE'
    index_type: str  # 'NORMAL', 'FUNCTION-BASED NORMAL', 'BITMAP', 'DOMAIN', ...
    column_name: str
    descend: str  # 'ASC' / 'DESC'
    column_expression: str | None
    primary_key: str  # 'Y' / 'N'


def indexes_from_rows(rows: Sequence[Sequence[Any]]) -> list[str]:
    """'PK_CUSTOMERS (ID) primary key', 'IX_EMAIL (UPPER("EMAIL")) unique', sorted by name."""
    grouped: dict[str, list[IndexRow]] = {}
    for row in rows:
        index = IndexRow(*row)
        grouped.setdefault(index.index_name, []).append(index)
    described = []
    for name, columns in grouped.items():
        first = columns[0]
        parts = []
        for column in columns:
            text = (column.column_expression or column.column_name).strip()
            parts.append(f"{text} desc" if column.descend == "DESC" else text)
        kind = first.index_type.replace("FUNCTION-BASED", "").strip().lower()
        flags = [
            "primary key"
            if first.primary_key == "Y"
            else "unique"
            if first.uniqueness == "UNIQUE"
            else "",
            "" if kind == "normal" else kind,
        ]
        suffix = " ".join(flag for flag in flags if flag)
        described.append(f"{name} ({', '.join(parts)})" + (f" {suffix}" if suffix else ""))
    return sorted(described)


class ColumnRow(NamedTuple):
    """One row of COLUMNS_SQL: ALL_TAB_COLS' own columns, comment and key flag, then how the
    database fills the column (ALL_TAB_IDENTITY_COLS' GENERATION_TYPE, 'ALWAYS' or 'BY
    DEFAULT'; ALL_TAB_COLS' VIRTUAL_COLUMN and DATA_DEFAULT_VC, Oracle 12.2 and later)."""

    column_name: str
    data_type: str
    data_type_owner: str | None
    data_length: int
    char_length: int | None
    char_used: str | None  # 'B' (byte semantics), 'C' (char semantics), None (not text)
    data_precision: int | None
    data_scale: int | None
    nullable: str  # 'Y' / 'N'
    column_id: int
    comments: str | None
    primary_key: str  # 'Y' / 'N'
    identity_generation: str | None = None
    virtual_column: str = "NO"
    data_default: str | None = None


_CHAR_TYPES = ("VARCHAR2", "CHAR", "VARCHAR")
_NCHAR_TYPES = ("NVARCHAR2", "NCHAR")
_BUILTIN_TYPE_OWNERS = (None, "SYS", "PUBLIC")


def format_data_type(row: ColumnRow, *, table_owner: str | None = None) -> str:
    """The type as Oracle's own DDL (DBMS_METADATA) writes it, e.g. VARCHAR2(100 BYTE)."""
    data_type = row.data_type
    if "(" in data_type:  # TIMESTAMP(6), INTERVAL DAY(2) TO SECOND(6): already complete
        return data_type
    if data_type == "NUMBER":
        if row.data_precision is None:
            return "NUMBER" if row.data_scale is None else f"NUMBER(*,{int(row.data_scale)})"
        return f"NUMBER({int(row.data_precision)},{int(row.data_scale or 0)})"
    if data_type == "FLOAT" and row.data_precision is not None:
        return f"FLOAT({int(row.data_precision)})"
    if data_type in _CHAR_TYPES:
        semantics = "CHAR" if row.char_used == "C" else "BYTE"
        return f"{data_type}({int(row.char_length or row.data_length)} {semantics})"
    if data_type in _NCHAR_TYPES:
        return f"{data_type}({int(row.char_length or row.data_length)})"
    if data_type in ("RAW", "UROWID"):
        return f"{data_type}({int(row.data_length)})"
    if row.data_type_owner not in _BUILTIN_TYPE_OWNERS and row.data_type_owner != table_owner:
        return f"{row.data_type_owner}.{data_type}"  # an object type of another schema
    return data_type


def column_from_row(row: Sequence[Any], *, table_owner: str | None = None) -> ColumnInfo:
    column = ColumnRow(*row)
    return ColumnInfo(
        name=column.column_name,
        data_type=format_data_type(column, table_owner=table_owner),
        nullable=column.nullable == "Y",
        primary_key=column.primary_key == "Y",
        ordinal_position=int(column.column_id),
        comment=column.comments or None,
        generated=_generated(column),
    )


def _generated(column: ColumnRow) -> str | None:
    if column.identity_generation:
        return f"IDENTITY {column.identity_generation}"
    if column.virtual_column == "YES":
        return f"VIRTUAL AS ({(column.data_default or '').strip()})"
    return None


def folded(name: str) -> list[str]:
    """The names Oracle may mean: as given (a quoted name), then upper-cased (unquoted)."""
    return list(dict.fromkeys([name, name.upper()]))


def name_binds(prefix: str, name: str) -> dict[str, str]:
    """Bind values for `:<prefix>` and `:folded_<prefix>`."""
    exact, *rest = folded(name)
    return {prefix: exact, f"folded_{prefix}": rest[0] if rest else exact}


def best_match(rows: Sequence[Sequence[Any]], *, owner: str, name: str) -> Sequence[Any] | None:
    """The row (owner, name, ...) Oracle would resolve to: exact spelling before folded."""
    owners, names = folded(owner), folded(name)
    candidates = [r for r in rows if r[0] in owners and r[1] in names]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (names.index(r[1]), owners.index(r[0])))


@dataclass(frozen=True)
class Found:
    owner: str
    name: str
    kind: TableKind
    num_rows: int | None
    comment: str | None


def found_row(row: Sequence[Any]) -> Found:
    """A row of FIND_TABLES_SQL or OWNER_TABLES_SQL."""
    owner, name, kind, num_rows, comment = row
    return Found(
        owner=owner,
        name=name,
        kind=TableKind[kind],
        num_rows=None if num_rows is None else int(num_rows),
        comment=comment or None,
    )


def near_match(table: str, owner: str, rows: Sequence[Sequence[Any]]) -> str | None:
    """A near match to name: OWNER.NAME in the same schema first, then in another one."""
    here = {r[1].upper(): r[1] for r in rows if r[0] == owner}
    if table.upper() in here:
        return f"{owner}.{here[table.upper()]}"
    close = difflib.get_close_matches(table.upper(), list(here), n=1, cutoff=0.75)
    if close:
        return f"{owner}.{here[close[0]]}"
    elsewhere = [r for r in rows if r[0] != owner and r[1].upper() == table.upper()]
    return f"{elsewhere[0][0]}.{elsewhere[0][1]}" if elsewhere else None


def table_info(
    found: Found,
    rows: Sequence[Sequence[Any]],
    indexes: Sequence[Sequence[Any]] = (),
    *,
    definition: str | None = None,
) -> TableInfo:
    notes = []
    if found.kind is TableKind.MATERIALIZED_VIEW:
        notes.append("A materialized view: its rows are stored, as of its last refresh.")
    if found.kind is not TableKind.VIEW:
        notes.append(
            "Row count is ALL_TABLES.NUM_ROWS from the last statistics gathering."
            if found.num_rows is not None
            else "No row count: statistics were never gathered for this table."
        )
    return TableInfo(
        schema=found.owner,
        name=found.name,
        kind=found.kind,
        comment=found.comment,
        row_count=found.num_rows,
        columns=[column_from_row(row, table_owner=found.owner) for row in rows],
        indexes=indexes_from_rows(indexes),
        notes=notes,
        definition=definition,
    )
