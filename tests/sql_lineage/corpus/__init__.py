"""The accuracy corpus: statements over the public TPC-H and TPC-DS schemas (the queries
written from the specifications' query definitions, as INSERT or CREATE TABLE AS into a
result table) and dbt-style CTE chains, each with its column lineage checked by hand.

`expected` maps each written column to the source columns whose values it is computed from
(DIRECT, COPY, ETL or AGGREGATION edges); columns that only join, filter or group are not
in it (they are checked apart, in `indirect`, where a case lists them)."""

from __future__ import annotations

from dataclasses import dataclass, field

TPCH = {
    "region": ["r_regionkey", "r_name", "r_comment"],
    "nation": ["n_nationkey", "n_name", "n_regionkey", "n_comment"],
    "part": ["p_partkey", "p_name", "p_mfgr", "p_brand", "p_type", "p_size", "p_container",
             "p_retailprice", "p_comment"],
    "supplier": ["s_suppkey", "s_name", "s_address", "s_nationkey", "s_phone", "s_acctbal",
                 "s_comment"],
    "partsupp": ["ps_partkey", "ps_suppkey", "ps_availqty", "ps_supplycost", "ps_comment"],
    "customer": ["c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal",
                 "c_mktsegment", "c_comment"],
    "orders": ["o_orderkey", "o_custkey", "o_orderstatus", "o_totalprice", "o_orderdate",
               "o_orderpriority", "o_clerk", "o_shippriority", "o_comment"],
    "lineitem": ["l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity",
                 "l_extendedprice", "l_discount", "l_tax", "l_returnflag", "l_linestatus",
                 "l_shipdate", "l_commitdate", "l_receiptdate", "l_shipinstruct", "l_shipmode",
                 "l_comment"],
}  # fmt: skip

TPCDS = {
    "store_sales": ["ss_sold_date_sk", "ss_item_sk", "ss_customer_sk", "ss_store_sk",
                    "ss_quantity", "ss_sales_price", "ss_ext_sales_price", "ss_net_profit",
                    "ss_coupon_amt", "ss_list_price", "ss_cdemo_sk", "ss_promo_sk"],
    "web_sales": ["ws_sold_date_sk", "ws_item_sk", "ws_bill_customer_sk", "ws_quantity",
                  "ws_sales_price", "ws_ext_sales_price", "ws_net_profit"],
    "catalog_sales": ["cs_sold_date_sk", "cs_item_sk", "cs_bill_customer_sk", "cs_quantity",
                      "cs_sales_price", "cs_ext_sales_price", "cs_net_profit"],
    "date_dim": ["d_date_sk", "d_date", "d_year", "d_moy", "d_qoy", "d_dow"],
    "item": ["i_item_sk", "i_item_id", "i_brand_id", "i_brand", "i_manufact_id", "i_category",
             "i_class", "i_current_price", "i_item_desc"],
    "store": ["s_store_sk", "s_store_id", "s_store_name", "s_state", "s_city"],
    "customer_demographics": ["cd_demo_sk", "cd_gender", "cd_marital_status",
                              "cd_education_status"],
    "promotion": ["p_promo_sk", "p_channel_email", "p_channel_event"],
}  # fmt: skip

RAW = {
    "orders": ["id", "user_id", "order_date", "status", "amount_cents"],
    "customers": ["id", "first_name", "last_name", "email"],
    "payments": ["id", "order_id", "payment_method", "amount"],
}


@dataclass(frozen=True)
class Case:
    name: str
    sql: str
    target: str  # schema.table written
    expected: dict[str, set[str]]  # target column -> schema.table.column sources
    indirect: set[str] = field(default_factory=set)  # schema.table.column, any indirect kind


def _q(prefix: str, *columns: str) -> set[str]:
    return {f"{prefix}.{c}" for c in columns}


TABLES = ("lineitem", "orders", "customer", "nation", "region", "supplier", "part", "partsupp")
L, O, C, N, R, S, P, PS = (f"tpch.{t}" for t in TABLES)  # noqa: E741


CASES = [
    Case(
        "tpch q1 (aggregates, CTAS)",
        """CREATE TABLE res.q1 AS
        SELECT l_returnflag, l_linestatus, SUM(l_quantity) AS sum_qty,
               SUM(l_extendedprice) AS sum_base_price,
               SUM(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
               SUM(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
               AVG(l_quantity) AS avg_qty, AVG(l_extendedprice) AS avg_price,
               AVG(l_discount) AS avg_disc, COUNT(*) AS count_order
        FROM tpch.lineitem
        WHERE l_shipdate <= DATE '1998-09-02'
        GROUP BY l_returnflag, l_linestatus
        ORDER BY l_returnflag, l_linestatus""",
        "res.q1",
        {
            "l_returnflag": _q(L, "l_returnflag"),
            "l_linestatus": _q(L, "l_linestatus"),
            "sum_qty": _q(L, "l_quantity"),
            "sum_base_price": _q(L, "l_extendedprice"),
            "sum_disc_price": _q(L, "l_extendedprice", "l_discount"),
            "sum_charge": _q(L, "l_extendedprice", "l_discount", "l_tax"),
            "avg_qty": _q(L, "l_quantity"),
            "avg_price": _q(L, "l_extendedprice"),
            "avg_disc": _q(L, "l_discount"),
            "count_order": set(),
        },
        indirect=_q(L, "l_shipdate", "l_returnflag", "l_linestatus"),
    ),
    Case(
        "tpch q3 (joins, INSERT column list in another order)",
        """INSERT INTO res.q3 (revenue, l_orderkey, o_orderdate, o_shippriority)
        SELECT SUM(l_extendedprice * (1 - l_discount)), l_orderkey, o_orderdate, o_shippriority
        FROM tpch.customer, tpch.orders, tpch.lineitem
        WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
          AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
        GROUP BY l_orderkey, o_orderdate, o_shippriority""",
        "res.q3",
        {
            "revenue": _q(L, "l_extendedprice", "l_discount"),
            "l_orderkey": _q(L, "l_orderkey"),
            "o_orderdate": _q(O, "o_orderdate"),
            "o_shippriority": _q(O, "o_shippriority"),
        },
        indirect=_q(C, "c_mktsegment", "c_custkey")
        | _q(O, "o_custkey", "o_orderkey")
        | _q(L, "l_shipdate"),
    ),
    Case(
        "tpch q4 (EXISTS subquery)",
        """INSERT INTO res.q4 (o_orderpriority, order_count)
        SELECT o_orderpriority, COUNT(*) FROM tpch.orders
        WHERE o_orderdate >= DATE '1993-07-01' AND EXISTS (
          SELECT * FROM tpch.lineitem WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate)
        GROUP BY o_orderpriority""",
        "res.q4",
        {"o_orderpriority": _q(O, "o_orderpriority"), "order_count": set()},
    ),
    Case(
        "tpch q5 (six-way join)",
        """INSERT INTO res.q5 (n_name, revenue)
        SELECT n_name, SUM(l_extendedprice * (1 - l_discount)) AS revenue
        FROM tpch.customer JOIN tpch.orders ON c_custkey = o_custkey
        JOIN tpch.lineitem ON l_orderkey = o_orderkey
        JOIN tpch.supplier ON l_suppkey = s_suppkey
        JOIN tpch.nation ON s_nationkey = n_nationkey
        JOIN tpch.region ON n_regionkey = r_regionkey
        WHERE c_nationkey = s_nationkey AND r_name = 'ASIA'
        GROUP BY n_name""",
        "res.q5",
        {"n_name": _q(N, "n_name"), "revenue": _q(L, "l_extendedprice", "l_discount")},
        indirect=_q(R, "r_name", "r_regionkey") | _q(S, "s_suppkey", "s_nationkey"),
    ),
    Case(
        "tpch q6 (one aggregate)",
        """INSERT INTO res.q6 (revenue)
        SELECT SUM(l_extendedprice * l_discount) FROM tpch.lineitem
        WHERE l_shipdate >= DATE '1994-01-01' AND l_discount BETWEEN 0.05 AND 0.07
          AND l_quantity < 24""",
        "res.q6",
        {"revenue": _q(L, "l_extendedprice", "l_discount")},
        indirect=_q(L, "l_shipdate", "l_quantity"),
    ),
    Case(
        "tpch q10 (customer columns through a join)",
        """CREATE TABLE res.q10 AS
        SELECT c_custkey, c_name, SUM(l_extendedprice * (1 - l_discount)) AS revenue,
               c_acctbal, n_name, c_address, c_phone, c_comment
        FROM tpch.customer c JOIN tpch.orders o ON c.c_custkey = o.o_custkey
        JOIN tpch.lineitem l ON l.l_orderkey = o.o_orderkey
        JOIN tpch.nation n ON c.c_nationkey = n.n_nationkey
        WHERE l.l_returnflag = 'R'
        GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment""",
        "res.q10",
        {
            "c_custkey": _q(C, "c_custkey"),
            "c_name": _q(C, "c_name"),
            "revenue": _q(L, "l_extendedprice", "l_discount"),
            "c_acctbal": _q(C, "c_acctbal"),
            "n_name": _q(N, "n_name"),
            "c_address": _q(C, "c_address"),
            "c_phone": _q(C, "c_phone"),
            "c_comment": _q(C, "c_comment"),
        },
    ),
    Case(
        "tpch q12 (CASE conditions)",
        """INSERT INTO res.q12 (l_shipmode, high_line_count, low_line_count)
        SELECT l_shipmode,
               SUM(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH'
                        THEN 1 ELSE 0 END),
               SUM(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH'
                        THEN 1 ELSE 0 END)
        FROM tpch.orders JOIN tpch.lineitem ON o_orderkey = l_orderkey
        WHERE l_shipmode IN ('MAIL', 'SHIP') AND l_commitdate < l_receiptdate
        GROUP BY l_shipmode""",
        "res.q12",
        {"l_shipmode": _q(L, "l_shipmode"), "high_line_count": set(), "low_line_count": set()},
        indirect=_q(O, "o_orderpriority"),
    ),
    Case(
        "tpch q14 (CASE value and condition)",
        """INSERT INTO res.q14 (promo_revenue)
        SELECT 100.00 * SUM(CASE WHEN p_type LIKE 'PROMO%'
                                 THEN l_extendedprice * (1 - l_discount) ELSE 0 END)
               / SUM(l_extendedprice * (1 - l_discount))
        FROM tpch.lineitem, tpch.part
        WHERE l_partkey = p_partkey AND l_shipdate >= DATE '1995-09-01'""",
        "res.q14",
        {"promo_revenue": _q(L, "l_extendedprice", "l_discount")},
        indirect=_q(P, "p_type"),
    ),
    Case(
        "tpch q18 (IN subquery with HAVING)",
        """INSERT INTO res.q18 (c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, qty)
        SELECT c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, SUM(l_quantity)
        FROM tpch.customer, tpch.orders, tpch.lineitem
        WHERE o_orderkey IN (SELECT l_orderkey FROM tpch.lineitem GROUP BY l_orderkey
                             HAVING SUM(l_quantity) > 300)
          AND c_custkey = o_custkey AND o_orderkey = l_orderkey
        GROUP BY c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice""",
        "res.q18",
        {
            "c_name": _q(C, "c_name"),
            "c_custkey": _q(C, "c_custkey"),
            "o_orderkey": _q(O, "o_orderkey"),
            "o_orderdate": _q(O, "o_orderdate"),
            "o_totalprice": _q(O, "o_totalprice"),
            "qty": _q(L, "l_quantity"),
        },
    ),
    Case(
        "tpch q11-like (derived table)",
        """INSERT INTO res.q11 (ps_partkey, value)
        SELECT t.ps_partkey, t.v FROM (
          SELECT ps_partkey, SUM(ps_supplycost * ps_availqty) AS v
          FROM tpch.partsupp JOIN tpch.supplier ON ps_suppkey = s_suppkey
          GROUP BY ps_partkey) t
        WHERE t.v > 1000""",
        "res.q11",
        {"ps_partkey": _q(PS, "ps_partkey"), "value": _q(PS, "ps_supplycost", "ps_availqty")},
    ),
    Case(
        "SELECT * expanded from the catalog",
        "INSERT INTO res.region_copy SELECT * FROM tpch.region",
        "res.region_copy",
        {c: _q(R, c) for c in TPCH["region"]},
    ),
    Case(
        "CREATE VIEW with a column list",
        """CREATE VIEW res.nation_names (nation, region) AS
        SELECT n.n_name, r.r_name FROM tpch.nation n JOIN tpch.region r
        ON n.n_regionkey = r.r_regionkey""",
        "res.nation_names",
        {"nation": _q(N, "n_name"), "region": _q(R, "r_name")},
        indirect=_q(N, "n_regionkey") | _q(R, "r_regionkey"),
    ),
    Case(
        "MERGE (update and insert)",
        """MERGE INTO res.supplier_balance b USING tpch.supplier s ON b.s_suppkey = s.s_suppkey
        WHEN MATCHED THEN UPDATE SET s_acctbal = s.s_acctbal, s_name = s.s_name
        WHEN NOT MATCHED THEN INSERT (s_suppkey, s_name, s_acctbal)
          VALUES (s.s_suppkey, s.s_name, s.s_acctbal)""",
        "res.supplier_balance",
        {
            "s_suppkey": _q(S, "s_suppkey"),
            "s_name": _q(S, "s_name"),
            "s_acctbal": _q(S, "s_acctbal"),
        },
    ),
    Case(
        "UPDATE ... FROM",
        """UPDATE res.customer_value SET total = o.o_totalprice
        FROM tpch.orders o WHERE o.o_custkey = customer_value.c_custkey""",
        "res.customer_value",
        {"total": _q(O, "o_totalprice"), "c_custkey": set()},
    ),
    Case(
        "tpc-ds q3 (brand revenue by year)",
        """INSERT INTO res.ds3 (d_year, brand_id, brand, sum_agg)
        SELECT dt.d_year, item.i_brand_id, item.i_brand, SUM(ss_ext_sales_price)
        FROM tpcds.date_dim dt, tpcds.store_sales, tpcds.item
        WHERE dt.d_date_sk = store_sales.ss_sold_date_sk
          AND store_sales.ss_item_sk = item.i_item_sk AND item.i_manufact_id = 128
          AND dt.d_moy = 11
        GROUP BY dt.d_year, item.i_brand, item.i_brand_id""",
        "res.ds3",
        {
            "d_year": _q("tpcds.date_dim", "d_year"),
            "brand_id": _q("tpcds.item", "i_brand_id"),
            "brand": _q("tpcds.item", "i_brand"),
            "sum_agg": _q("tpcds.store_sales", "ss_ext_sales_price"),
        },
        indirect=_q("tpcds.item", "i_manufact_id") | _q("tpcds.date_dim", "d_moy"),
    ),
    Case(
        "tpc-ds q7 (averages over demographics and promotions)",
        """INSERT INTO res.ds7 (i_item_id, agg1, agg2, agg3, agg4)
        SELECT i_item_id, AVG(ss_quantity), AVG(ss_list_price), AVG(ss_coupon_amt),
               AVG(ss_sales_price)
        FROM tpcds.store_sales, tpcds.customer_demographics, tpcds.date_dim, tpcds.item,
             tpcds.promotion
        WHERE ss_sold_date_sk = d_date_sk AND ss_item_sk = i_item_sk
          AND ss_cdemo_sk = cd_demo_sk AND ss_promo_sk = p_promo_sk
          AND cd_gender = 'M' AND (p_channel_email = 'N' OR p_channel_event = 'N')
          AND d_year = 2000
        GROUP BY i_item_id""",
        "res.ds7",
        {
            "i_item_id": _q("tpcds.item", "i_item_id"),
            "agg1": _q("tpcds.store_sales", "ss_quantity"),
            "agg2": _q("tpcds.store_sales", "ss_list_price"),
            "agg3": _q("tpcds.store_sales", "ss_coupon_amt"),
            "agg4": _q("tpcds.store_sales", "ss_sales_price"),
        },
    ),
    Case(
        "tpc-ds channels (UNION ALL of three sales tables)",
        """INSERT INTO res.channel_sales (channel, item_sk, sales, profit)
        SELECT 'store', ss_item_sk, ss_ext_sales_price, ss_net_profit FROM tpcds.store_sales
        UNION ALL
        SELECT 'web', ws_item_sk, ws_ext_sales_price, ws_net_profit FROM tpcds.web_sales
        UNION ALL
        SELECT 'catalog', cs_item_sk, cs_ext_sales_price, cs_net_profit
        FROM tpcds.catalog_sales""",
        "res.channel_sales",
        {
            "channel": set(),
            "item_sk": _q("tpcds.store_sales", "ss_item_sk")
            | _q("tpcds.web_sales", "ws_item_sk")
            | _q("tpcds.catalog_sales", "cs_item_sk"),
            "sales": _q("tpcds.store_sales", "ss_ext_sales_price")
            | _q("tpcds.web_sales", "ws_ext_sales_price")
            | _q("tpcds.catalog_sales", "cs_ext_sales_price"),
            "profit": _q("tpcds.store_sales", "ss_net_profit")
            | _q("tpcds.web_sales", "ws_net_profit")
            | _q("tpcds.catalog_sales", "cs_net_profit"),
        },
    ),
    Case(
        "dbt-style CTE chain (staging, payments pivot, final)",
        """CREATE TABLE analytics.customer_orders AS
        WITH customers AS (
          SELECT id AS customer_id, first_name, last_name FROM raw.customers
        ), orders AS (
          SELECT id AS order_id, user_id AS customer_id, order_date, status FROM raw.orders
        ), payments AS (
          SELECT order_id, amount / 100.0 AS amount, payment_method FROM raw.payments
        ), order_payments AS (
          SELECT order_id,
                 SUM(CASE WHEN payment_method = 'credit_card' THEN amount ELSE 0 END)
                   AS credit_card_amount,
                 SUM(amount) AS total_amount
          FROM payments GROUP BY order_id
        ), final AS (
          SELECT o.order_id, o.customer_id, c.first_name, c.last_name, o.order_date,
                 o.status, op.credit_card_amount, op.total_amount AS amount
          FROM orders o
          LEFT JOIN customers c ON o.customer_id = c.customer_id
          LEFT JOIN order_payments op ON o.order_id = op.order_id
        )
        SELECT * FROM final""",
        "analytics.customer_orders",
        {
            "order_id": _q("raw.orders", "id"),
            "customer_id": _q("raw.orders", "user_id"),
            "first_name": _q("raw.customers", "first_name"),
            "last_name": _q("raw.customers", "last_name"),
            "order_date": _q("raw.orders", "order_date"),
            "status": _q("raw.orders", "status"),
            "credit_card_amount": _q("raw.payments", "amount"),
            "amount": _q("raw.payments", "amount"),
        },
        indirect=_q("raw.customers", "id") | _q("raw.payments", "order_id"),
    ),
    Case(
        "dbt-style chain with a window and a filter",
        """CREATE TABLE analytics.first_orders AS
        WITH ranked AS (
          SELECT user_id, order_date, amount_cents,
                 ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY order_date) AS n
          FROM raw.orders WHERE status <> 'returned'
        )
        SELECT user_id AS customer_id, order_date AS first_order_date,
               amount_cents / 100.0 AS first_order_amount
        FROM ranked WHERE n = 1""",
        "analytics.first_orders",
        {
            "customer_id": _q("raw.orders", "user_id"),
            "first_order_date": _q("raw.orders", "order_date"),
            "first_order_amount": _q("raw.orders", "amount_cents"),
        },
        indirect=_q("raw.orders", "status"),
    ),
]


def result_tables() -> dict[str, list[str]]:
    """The tables the cases write, with the columns they have (the expected ones, in order)."""
    return {case.target: list(case.expected) for case in CASES}
