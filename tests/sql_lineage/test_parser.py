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
        table("sales", "customers", "id", "name", "region"),
        table("sales", "refunds", "order_id", "amount"),
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


def test_decode_and_nvl2_conditions_only_pick_the_result() -> None:
    assert edges(
        "INSERT INTO mart.totals (customer_id, total, n) SELECT customer_id, "
        "DECODE(status, 'paid', amount, 'open', 0, amount / 2), NVL2(status, 1, 0) "
        "FROM sales.orders",
        Dialect.ORACLE,
    ) == {
        ("sales.orders.customer_id", "mart.totals.customer_id", T.DIRECT),
        ("sales.orders.amount", "mart.totals.total", T.ETL),
        ("sales.orders.status", "mart.totals.total", T.CONDITIONAL),
        ("sales.orders.status", "mart.totals.n", T.CONDITIONAL),
    }


def test_an_aggregate_filter_grouping_and_ordered_aggregate_input_carry_no_value() -> None:
    assert edges(
        "INSERT INTO mart.totals (customer_id, total, n) SELECT customer_id, "
        "COUNT(*) FILTER (WHERE status = 'paid'), GROUPING(customer_id) "
        "FROM sales.orders GROUP BY ROLLUP (customer_id)",
        Dialect.POSTGRES,
    ) == {
        ("sales.orders.customer_id", "mart.totals.customer_id", T.DIRECT),
        ("sales.orders.status", "mart.totals.total", T.FILTER),
        ("sales.orders.customer_id", "mart.totals.n", T.GROUP_BY),
    }
    assert edges(
        "CREATE VIEW mart.v_orders AS SELECT id, "
        "LISTAGG(status, ',') WITHIN GROUP (ORDER BY amount) AS amount "
        "FROM sales.orders GROUP BY id",
        Dialect.ORACLE,
    ) == {
        ("sales.orders.id", "mart.v_orders.id", T.DIRECT),
        ("sales.orders.status", "mart.v_orders.amount", T.AGGREGATION),
        ("sales.orders.amount", "mart.v_orders.amount", T.SORT),
    }


def test_the_right_side_of_except_only_filters() -> None:
    found = propose(
        "INSERT INTO mart.v_orders (id, amount) SELECT id, amount FROM sales.orders "
        "EXCEPT SELECT order_id, amount FROM sales.refunds",
        dialect=Dialect.GENERIC,
        catalog=CATALOG,
    )
    kinds = {(e.upstream_id, e.transformation) for e in found.field_edges}
    assert ("sales.orders.amount", T.ETL) in kinds or ("sales.orders.amount", T.DIRECT) in kinds
    assert {k for u, k in kinds if u.startswith("sales.refunds.")} == {T.FILTER}


def test_a_with_before_insert_and_a_lateral_subquery_are_traced() -> None:
    assert edges(
        "WITH paid AS (SELECT customer_id, amount FROM sales.orders WHERE status = 'paid') "
        "INSERT INTO mart.totals (customer_id, total) SELECT customer_id, SUM(amount) "
        "FROM paid GROUP BY customer_id",
        Dialect.POSTGRES,
    ) == {
        ("sales.orders.customer_id", "mart.totals.customer_id", T.DIRECT),
        ("sales.orders.amount", "mart.totals.total", T.AGGREGATION),
    }
    assert edges(
        "INSERT INTO mart.totals (customer_id, total) SELECT c.id, big.amount "
        "FROM sales.customers c CROSS JOIN LATERAL (SELECT o.amount FROM sales.orders o "
        "WHERE o.customer_id = c.id ORDER BY o.amount DESC LIMIT 1) AS big",
        Dialect.POSTGRES,
    ) == {
        ("sales.customers.id", "mart.totals.customer_id", T.DIRECT),
        ("sales.orders.amount", "mart.totals.total", T.DIRECT),
    }


def test_replace_into_and_select_into_write_their_tables() -> None:
    assert edges(
        "REPLACE INTO mart.v_orders (id, amount) SELECT id, amount FROM sales.orders",
        Dialect.MYSQL,
    ) == {
        ("sales.orders.id", "mart.v_orders.id", T.COPY),
        ("sales.orders.amount", "mart.v_orders.amount", T.COPY),
    }
    found = propose(
        "SELECT id, amount * 2 AS amount INTO mart.v_orders FROM sales.orders",
        dialect=Dialect.POSTGRES,
        catalog=CATALOG,
    )
    assert [(s.kind, s.target) for s in found.statements] == [("CREATE_TABLE_AS", "mart.v_orders")]
    assert {(e.upstream_id, e.downstream_id) for e in found.field_edges} == {
        ("sales.orders.id", "mart.v_orders.id"),
        ("sales.orders.amount", "mart.v_orders.amount"),
    }


def test_merge_and_update_with_bare_table_names_resolve_through_the_default_schema() -> None:
    catalog = Catalog(CATALOG.tables, default_schema="sales")
    merge = propose(
        "MERGE INTO totals t USING orders o ON t.customer_id = o.customer_id "
        "WHEN MATCHED THEN UPDATE SET total = o.amount",
        dialect=Dialect.ORACLE,
        catalog=catalog,
        include_indirect=False,
    )
    update = propose(
        "UPDATE totals SET total = o.amount FROM orders o WHERE o.customer_id = totals.customer_id",
        dialect=Dialect.POSTGRES,
        catalog=catalog,
        include_indirect=False,
    )
    for found in (merge, update):
        assert [(e.upstream_id, e.downstream_id) for e in found.field_edges] == [
            ("sales.orders.amount", "mart.totals.total")
        ]


def test_a_merge_that_sets_a_column_in_both_branches_gives_one_edge_with_the_stronger_role() -> (
    None
):
    found = propose(
        "MERGE INTO mart.totals t USING sales.orders o ON t.customer_id = o.customer_id "
        "WHEN MATCHED THEN UPDATE SET total = t.total + o.amount "
        "WHEN NOT MATCHED THEN INSERT (customer_id, total) VALUES (o.customer_id, o.amount)",
        dialect=Dialect.ORACLE,
        catalog=CATALOG,
        include_indirect=False,
    )
    assert sorted(
        (e.upstream_id, e.downstream_id, e.transformation) for e in found.field_edges
    ) == [
        ("sales.orders.amount", "mart.totals.total", T.DIRECT),
        ("sales.orders.customer_id", "mart.totals.customer_id", T.DIRECT),
    ]


def test_a_bare_column_in_every_union_branch_is_carried_as_it_is() -> None:
    def kinds(sql: str) -> list[T]:
        found = propose(sql, dialect=Dialect.POSTGRES, catalog=CATALOG, include_indirect=False)
        return [e.transformation for e in found.field_edges]

    bare = "INSERT INTO mart.totals (total) SELECT amount FROM sales.orders"
    assert kinds(bare) == [T.COPY]
    assert kinds(f"{bare} UNION SELECT amount FROM sales.orders") == [T.COPY]
    assert kinds(f"{bare} UNION ALL SELECT amount * 2 FROM sales.orders") == [T.COPY]
    assert kinds(
        "INSERT INTO mart.totals (total) SELECT amount * 2 FROM sales.orders "
        "UNION SELECT amount + 1 FROM sales.orders"
    ) == [T.ETL]


def test_a_tuple_assignment_from_a_subquery_traces_each_column() -> None:
    found = propose(
        "UPDATE mart.totals t SET (total, n) = (SELECT SUM(o.amount), COUNT(o.id) "
        "FROM sales.orders o WHERE o.customer_id = t.customer_id)",
        dialect=Dialect.ORACLE,
        catalog=CATALOG,
        include_indirect=False,
    )
    assert {(e.upstream_id, e.downstream_id, e.transformation) for e in found.field_edges} == {
        ("sales.orders.amount", "mart.totals.total", T.AGGREGATION),
        ("sales.orders.id", "mart.totals.n", T.AGGREGATION),
    }
    # The evidence is the subquery as written, without the name Clew gives each output.
    assert all("__clew" not in e.expression for e in found.field_edges)


def test_insert_all_is_reported_as_not_analysed_never_as_carrying_no_lineage() -> None:
    found = propose(
        "INSERT ALL INTO mart.totals (customer_id, total) VALUES (customer_id, amount)\n"
        "  INTO mart.v_orders (id, amount) VALUES (id, amount)\n"
        "SELECT id, customer_id, amount FROM sales.orders",
        dialect=Dialect.ORACLE,
        catalog=CATALOG,
    )
    [unparsed] = found.unparsed
    assert unparsed.position.line == 1 and "one INSERT ... SELECT per target table" in (
        unparsed.reason
    )
    assert found.field_edges == []


def test_an_update_setting_a_joined_tables_column_says_it_is_not_traced() -> None:
    found = propose(
        "UPDATE mart.totals t JOIN mart.v_orders v ON v.id = t.customer_id "
        "JOIN sales.orders o ON o.customer_id = t.customer_id "
        "SET t.total = o.amount, v.amount = o.amount",
        dialect=Dialect.MYSQL,
        catalog=CATALOG,
        include_indirect=False,
    )
    assert [(e.upstream_id, e.downstream_id) for e in found.field_edges] == [
        ("sales.orders.amount", "mart.totals.total")
    ]
    [elsewhere] = found.unresolved
    assert elsewhere.name == "v.amount" and "another table than 'mart.totals'" in elsewhere.message
