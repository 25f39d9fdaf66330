"""The SQL parser's edges and reports, case by case (graph_api/sql_lineage, no Neo4j)."""

from __future__ import annotations

from graph_api.models import TransformationType as T
from graph_api.sql_lineage import Catalog, CatalogField, CatalogTable, Dialect, NameKind, propose


def table(schema: str, name: str, *columns: str) -> CatalogTable:
    fields = tuple(CatalogField(id=f"{schema}.{name}.{c}", name=c) for c in columns)
    return CatalogTable(id=f"{schema}.{name}", schema=schema, name=name, fields=fields)


CATALOG = Catalog(
    [
        table("sales", "orders", "id", "customer_id", "amount", "status"),
        table("mart", "totals", "customer_id", "total", "n"),
        table("mart", "v_orders", "id", "amount"),
    ]
)


def edges(sql: str, dialect: Dialect = Dialect.GENERIC) -> set[tuple[str, str, T]]:
    found = propose(sql, dialect=dialect, catalog=CATALOG, include_indirect=False)
    return {(e.upstream_id, e.downstream_id, e.transformation) for e in found.field_edges}


def test_an_insert_without_a_column_list_fills_the_target_columns_in_catalog_order() -> None:
    assert edges(
        "INSERT INTO mart.totals SELECT customer_id, SUM(amount), COUNT(*) "
        "FROM sales.orders GROUP BY customer_id"
    ) == {
        ("sales.orders.customer_id", "mart.totals.customer_id", T.DIRECT),
        ("sales.orders.amount", "mart.totals.total", T.AGGREGATION),
    }


def test_the_insert_column_list_is_mapped_by_position_not_by_name() -> None:
    assert edges(
        "INSERT INTO mart.totals (total, customer_id) SELECT customer_id, amount FROM sales.orders"
    ) == {
        ("sales.orders.customer_id", "mart.totals.total", T.COPY),
        ("sales.orders.amount", "mart.totals.customer_id", T.COPY),
    }  # fmt: skip  (one table, no join, filter or grouping: a copy)


def test_a_view_without_a_column_list_takes_the_query_names_case_insensitively() -> None:
    assert edges('CREATE VIEW MART.V_ORDERS AS SELECT "ID", Amount * 2 AS amount FROM '
                 "sales.ORDERS", Dialect.ORACLE) == {
        ("sales.orders.id", "mart.v_orders.id", T.DIRECT),
        ("sales.orders.amount", "mart.v_orders.amount", T.ETL),
    }  # fmt: skip


def test_unknown_columns_and_tables_are_named_with_suggestions() -> None:
    found = propose(
        "INSERT INTO mart.totals (customer_id, totl) SELECT customer_id, amount FROM sales.orders",
        dialect=Dialect.POSTGRES,
        catalog=CATALOG,
    )
    [missing] = found.unresolved
    assert missing.kind is NameKind.COLUMN and missing.suggestions == ("total",)
    assert found.statements[0].confidence is not None and found.statements[0].confidence < 0.9


def test_a_statement_that_does_not_parse_is_reported_where_it_is() -> None:
    found = propose(
        "INSERT INTO mart.totals SELECT 1;\n\nINSERT INTO mart.totals SELECT FROM (;",
        dialect=Dialect.MYSQL,
        catalog=CATALOG,
    )
    [unparsed] = found.unparsed
    assert unparsed.statement == 1 and unparsed.position.line == 3
    assert [s.kind for s in found.statements] == ["INSERT", "UNPARSED"]


def test_a_statement_over_its_time_limit_is_reported_not_dropped() -> None:
    union = " UNION ALL ".join(
        f"SELECT id, amount FROM sales.orders WHERE id = {i}" for i in range(300)
    )
    found = propose(
        f"INSERT INTO mart.v_orders {union}",
        dialect=Dialect.GENERIC,
        catalog=CATALOG,
        time_limit_seconds=0.01,
    )
    [unparsed] = found.unparsed
    assert "took longer than 0.01 s" in unparsed.reason
