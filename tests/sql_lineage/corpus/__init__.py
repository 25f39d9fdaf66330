"""The accuracy corpus: real-world statements with their column lineage read by hand, never
taken from the parser's output.

- tpch.py: the 22 TPC-H queries; tpcds.py: TPC-DS queries (both public specifications,
  against their schemas in schemas.py), each wrapped the way lineage arises (INSERT with a
  column list, CREATE TABLE AS, CREATE VIEW);
- dbt.py: dbt-style CTE chains as compiled (jaffle_shop's models and others);
- dialects.py: vendor syntax (Oracle, PostgreSQL, MySQL) and ANSI constructs, each case run
  in its own dialect only.

`expected` maps each written column to the source columns whose values it is computed from;
a column that only joins, filters, groups or decides a CASE is not in it (a case lists such
columns in `indirect`, checked apart). A case the parser is known to get wrong says why in
`gap`, and is counted like any other."""

from __future__ import annotations

from tests.sql_lineage.corpus import dbt, dialects, tpcds, tpch
from tests.sql_lineage.corpus.base import Case, q, written
from tests.sql_lineage.corpus.schemas import RAW, SOURCES, TPCDS, TPCH

CASES: list[Case] = tpch.CASES + tpcds.CASES + dbt.CASES + dialects.CASES


def result_tables() -> dict[str, list[str]]:
    """The tables the cases write that are not source tables, with their columns (the
    expected ones, in the order of the first case that writes them)."""
    tables: dict[str, list[str]] = {}
    for case in CASES:
        for key in case.expected:
            schema, name, column = written(case, key).split(".")
            if name in SOURCES.get(schema, {}):
                continue
            columns = tables.setdefault(f"{schema}.{name}", [])
            if column not in columns:
                columns.append(column)
    return tables


__all__ = ["CASES", "RAW", "SOURCES", "TPCDS", "TPCH", "Case", "q", "result_tables", "written"]
