"""One corpus case: a statement, the table it writes and its column lineage read by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph_api.sql_lineage import Dialect


@dataclass(frozen=True)
class Case:
    name: str
    sql: str
    target: str  # schema.table written
    # Target column -> the schema.table.column sources its values are computed from (DIRECT,
    # COPY, ETL or AGGREGATION); a column with none (a constant, COUNT(*)) maps to set().
    # A statement that writes several tables names each column as schema.table.column.
    expected: dict[str, set[str]]
    # schema.table.column that only join, filter, group or decide a CASE (any indirect kind).
    indirect: set[str] = field(default_factory=set)
    dialects: tuple[Dialect, ...] = tuple(Dialect)  # the dialects it is written in
    # Why the parser is known to get it wrong (it is still counted, in full).
    gap: str = ""


def q(table: str, *columns: str) -> set[str]:
    """schema.table plus each column: q("tpch.part", "p_name") == {"tpch.part.p_name"}."""
    return {f"{table}.{c}" for c in columns}


def written(case: Case, column: str) -> str:
    """The schema.table.column a key of `expected` stands for."""
    return column if column.count(".") == 2 else f"{case.target}.{column}"
