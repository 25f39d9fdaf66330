"""The 22 TPC-H queries, from the specification's query definitions (validation parameters),
each written into a result table the way lineage arises: INSERT with a column list (mapped by
position), CREATE TABLE AS or CREATE VIEW."""

from __future__ import annotations

from tests.sql_lineage.corpus.base import Case, q

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
        WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
        GROUP BY l_returnflag, l_linestatus
        ORDER BY l_returnflag, l_linestatus""",
        "res.q1",
        {
            "l_returnflag": q(L, "l_returnflag"),
            "l_linestatus": q(L, "l_linestatus"),
            "sum_qty": q(L, "l_quantity"),
            "sum_base_price": q(L, "l_extendedprice"),
            "sum_disc_price": q(L, "l_extendedprice", "l_discount"),
            "sum_charge": q(L, "l_extendedprice", "l_discount", "l_tax"),
            "avg_qty": q(L, "l_quantity"),
            "avg_price": q(L, "l_extendedprice"),
            "avg_disc": q(L, "l_discount"),
            "count_order": set(),
        },
        indirect=q(L, "l_shipdate", "l_returnflag", "l_linestatus"),
    ),
    Case(
        "tpch q2 (correlated MIN subquery)",
        """INSERT INTO res.q2 (s_acctbal, s_name, n_name, p_partkey, p_mfgr, s_address, s_phone,
                               s_comment)
        SELECT s_acctbal, s_name, n_name, p_partkey, p_mfgr, s_address, s_phone, s_comment
        FROM tpch.part, tpch.supplier, tpch.partsupp, tpch.nation, tpch.region
        WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey AND p_size = 15
          AND p_type LIKE '%BRASS' AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
          AND r_name = 'EUROPE'
          AND ps_supplycost = (
            SELECT MIN(ps_supplycost)
            FROM tpch.partsupp, tpch.supplier, tpch.nation, tpch.region
            WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey
              AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
              AND r_name = 'EUROPE')
        ORDER BY s_acctbal DESC, n_name, s_name, p_partkey""",
        "res.q2",
        {
            "s_acctbal": q(S, "s_acctbal"),
            "s_name": q(S, "s_name"),
            "n_name": q(N, "n_name"),
            "p_partkey": q(P, "p_partkey"),
            "p_mfgr": q(P, "p_mfgr"),
            "s_address": q(S, "s_address"),
            "s_phone": q(S, "s_phone"),
            "s_comment": q(S, "s_comment"),
        },
        indirect=q(P, "p_size", "p_type") | q(R, "r_name") | q(PS, "ps_supplycost"),
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
            "revenue": q(L, "l_extendedprice", "l_discount"),
            "l_orderkey": q(L, "l_orderkey"),
            "o_orderdate": q(O, "o_orderdate"),
            "o_shippriority": q(O, "o_shippriority"),
        },
        indirect=q(C, "c_mktsegment", "c_custkey")
        | q(O, "o_custkey", "o_orderkey")
        | q(L, "l_shipdate"),
    ),
    Case(
        "tpch q4 (EXISTS subquery)",
        """INSERT INTO res.q4 (o_orderpriority, order_count)
        SELECT o_orderpriority, COUNT(*) FROM tpch.orders
        WHERE o_orderdate >= DATE '1993-07-01'
          AND o_orderdate < DATE '1993-07-01' + INTERVAL '3' MONTH
          AND EXISTS (SELECT * FROM tpch.lineitem
                      WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate)
        GROUP BY o_orderpriority
        ORDER BY o_orderpriority""",
        "res.q4",
        {"o_orderpriority": q(O, "o_orderpriority"), "order_count": set()},
        indirect=q(O, "o_orderdate") | q(L, "l_commitdate", "l_receiptdate"),
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
          AND o_orderdate >= DATE '1994-01-01'
          AND o_orderdate < DATE '1994-01-01' + INTERVAL '1' YEAR
        GROUP BY n_name
        ORDER BY revenue DESC""",
        "res.q5",
        {"n_name": q(N, "n_name"), "revenue": q(L, "l_extendedprice", "l_discount")},
        indirect=q(R, "r_name", "r_regionkey")
        | q(S, "s_suppkey", "s_nationkey")
        | q(O, "o_orderdate"),
    ),
    Case(
        "tpch q6 (one aggregate)",
        """INSERT INTO res.q6 (revenue)
        SELECT SUM(l_extendedprice * l_discount) FROM tpch.lineitem
        WHERE l_shipdate >= DATE '1994-01-01'
          AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR
          AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND l_quantity < 24""",
        "res.q6",
        {"revenue": q(L, "l_extendedprice", "l_discount")},
        indirect=q(L, "l_shipdate", "l_quantity"),
    ),
    Case(
        "tpch q7 (nation aliased twice, derived table)",
        """CREATE TABLE res.q7 AS
        SELECT supp_nation, cust_nation, l_year, SUM(volume) AS revenue
        FROM (
          SELECT n1.n_name AS supp_nation, n2.n_name AS cust_nation,
                 EXTRACT(YEAR FROM l_shipdate) AS l_year,
                 l_extendedprice * (1 - l_discount) AS volume
          FROM tpch.supplier, tpch.lineitem, tpch.orders, tpch.customer, tpch.nation n1,
               tpch.nation n2
          WHERE s_suppkey = l_suppkey AND o_orderkey = l_orderkey AND c_custkey = o_custkey
            AND s_nationkey = n1.n_nationkey AND c_nationkey = n2.n_nationkey
            AND ((n1.n_name = 'FRANCE' AND n2.n_name = 'GERMANY')
                 OR (n1.n_name = 'GERMANY' AND n2.n_name = 'FRANCE'))
            AND l_shipdate BETWEEN DATE '1995-01-01' AND DATE '1996-12-31'
        ) AS shipping
        GROUP BY supp_nation, cust_nation, l_year
        ORDER BY supp_nation, cust_nation, l_year""",
        "res.q7",
        {
            "supp_nation": q(N, "n_name"),
            "cust_nation": q(N, "n_name"),
            "l_year": q(L, "l_shipdate"),
            "revenue": q(L, "l_extendedprice", "l_discount"),
        },
        indirect=q(S, "s_suppkey", "s_nationkey") | q(C, "c_custkey", "c_nationkey"),
    ),
    Case(
        "tpch q8 (market share: a CASE condition over a derived column)",
        """INSERT INTO res.q8 (o_year, mkt_share)
        SELECT o_year,
               SUM(CASE WHEN nation = 'BRAZIL' THEN volume ELSE 0 END) / SUM(volume) AS mkt_share
        FROM (
          SELECT EXTRACT(YEAR FROM o_orderdate) AS o_year,
                 l_extendedprice * (1 - l_discount) AS volume, n2.n_name AS nation
          FROM tpch.part, tpch.supplier, tpch.lineitem, tpch.orders, tpch.customer,
               tpch.nation n1, tpch.nation n2, tpch.region
          WHERE p_partkey = l_partkey AND s_suppkey = l_suppkey AND l_orderkey = o_orderkey
            AND o_custkey = c_custkey AND c_nationkey = n1.n_nationkey
            AND n1.n_regionkey = r_regionkey AND r_name = 'AMERICA'
            AND s_nationkey = n2.n_nationkey
            AND o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1996-12-31'
            AND p_type = 'ECONOMY ANODIZED STEEL'
        ) AS all_nations
        GROUP BY o_year
        ORDER BY o_year""",
        "res.q8",
        {"o_year": q(O, "o_orderdate"), "mkt_share": q(L, "l_extendedprice", "l_discount")},
        indirect=q(N, "n_name") | q(R, "r_name") | q(P, "p_type"),
    ),
    Case(
        "tpch q9 (profit: four columns in one expression)",
        """INSERT INTO res.q9 (nation, o_year, sum_profit)
        SELECT nation, o_year, SUM(amount) AS sum_profit
        FROM (
          SELECT n_name AS nation, EXTRACT(YEAR FROM o_orderdate) AS o_year,
                 l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity AS amount
          FROM tpch.part, tpch.supplier, tpch.lineitem, tpch.partsupp, tpch.orders, tpch.nation
          WHERE s_suppkey = l_suppkey AND ps_suppkey = l_suppkey AND ps_partkey = l_partkey
            AND p_partkey = l_partkey AND o_orderkey = l_orderkey AND s_nationkey = n_nationkey
            AND p_name LIKE '%green%'
        ) AS profit
        GROUP BY nation, o_year
        ORDER BY nation, o_year DESC""",
        "res.q9",
        {
            "nation": q(N, "n_name"),
            "o_year": q(O, "o_orderdate"),
            "sum_profit": q(L, "l_extendedprice", "l_discount", "l_quantity")
            | q(PS, "ps_supplycost"),
        },
        indirect=q(P, "p_name"),
    ),
    Case(
        "tpch q10 (customer columns through a join)",
        """CREATE TABLE res.q10 AS
        SELECT c_custkey, c_name, SUM(l_extendedprice * (1 - l_discount)) AS revenue,
               c_acctbal, n_name, c_address, c_phone, c_comment
        FROM tpch.customer c JOIN tpch.orders o ON c.c_custkey = o.o_custkey
        JOIN tpch.lineitem l ON l.l_orderkey = o.o_orderkey
        JOIN tpch.nation n ON c.c_nationkey = n.n_nationkey
        WHERE o.o_orderdate >= DATE '1993-10-01'
          AND o.o_orderdate < DATE '1993-10-01' + INTERVAL '3' MONTH
          AND l.l_returnflag = 'R'
        GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
        ORDER BY revenue DESC""",
        "res.q10",
        {
            "c_custkey": q(C, "c_custkey"),
            "c_name": q(C, "c_name"),
            "revenue": q(L, "l_extendedprice", "l_discount"),
            "c_acctbal": q(C, "c_acctbal"),
            "n_name": q(N, "n_name"),
            "c_address": q(C, "c_address"),
            "c_phone": q(C, "c_phone"),
            "c_comment": q(C, "c_comment"),
        },
        indirect=q(L, "l_returnflag") | q(O, "o_orderdate", "o_custkey"),
    ),
    Case(
        "tpch q11 (HAVING against a scalar subquery)",
        """INSERT INTO res.q11 (ps_partkey, value)
        SELECT ps_partkey, SUM(ps_supplycost * ps_availqty) AS value
        FROM tpch.partsupp, tpch.supplier, tpch.nation
        WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'GERMANY'
        GROUP BY ps_partkey
        HAVING SUM(ps_supplycost * ps_availqty) > (
          SELECT SUM(ps_supplycost * ps_availqty) * 0.0001
          FROM tpch.partsupp, tpch.supplier, tpch.nation
          WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'GERMANY')
        ORDER BY value DESC""",
        "res.q11",
        {"ps_partkey": q(PS, "ps_partkey"), "value": q(PS, "ps_supplycost", "ps_availqty")},
        indirect=q(N, "n_name") | q(S, "s_suppkey"),
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
          AND l_shipdate < l_commitdate AND l_receiptdate >= DATE '1994-01-01'
          AND l_receiptdate < DATE '1994-01-01' + INTERVAL '1' YEAR
        GROUP BY l_shipmode
        ORDER BY l_shipmode""",
        "res.q12",
        {"l_shipmode": q(L, "l_shipmode"), "high_line_count": set(), "low_line_count": set()},
        indirect=q(O, "o_orderpriority") | q(L, "l_commitdate", "l_receiptdate", "l_shipdate"),
    ),
    Case(
        "tpch q13 (LEFT JOIN, derived table with a column list)",
        """INSERT INTO res.q13 (c_count, custdist)
        SELECT c_count, COUNT(*) AS custdist
        FROM (
          SELECT c_custkey, COUNT(o_orderkey)
          FROM tpch.customer LEFT OUTER JOIN tpch.orders
            ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%'
          GROUP BY c_custkey
        ) AS c_orders (c_custkey, c_count)
        GROUP BY c_count
        ORDER BY custdist DESC, c_count DESC""",
        "res.q13",
        {"c_count": q(O, "o_orderkey"), "custdist": set()},
        indirect=q(O, "o_comment", "o_custkey") | q(C, "c_custkey"),
    ),
    Case(
        "tpch q14 (CASE value and condition)",
        """INSERT INTO res.q14 (promo_revenue)
        SELECT 100.00 * SUM(CASE WHEN p_type LIKE 'PROMO%'
                                 THEN l_extendedprice * (1 - l_discount) ELSE 0 END)
               / SUM(l_extendedprice * (1 - l_discount)) AS promo_revenue
        FROM tpch.lineitem, tpch.part
        WHERE l_partkey = p_partkey AND l_shipdate >= DATE '1995-09-01'
          AND l_shipdate < DATE '1995-09-01' + INTERVAL '1' MONTH""",
        "res.q14",
        {"promo_revenue": q(L, "l_extendedprice", "l_discount")},
        indirect=q(P, "p_type", "p_partkey") | q(L, "l_shipdate"),
    ),
    Case(
        "tpch q15 part 1 (the revenue view)",
        """CREATE VIEW res.revenue0 (supplier_no, total_revenue) AS
        SELECT l_suppkey, SUM(l_extendedprice * (1 - l_discount))
        FROM tpch.lineitem
        WHERE l_shipdate >= DATE '1996-01-01'
          AND l_shipdate < DATE '1996-01-01' + INTERVAL '3' MONTH
        GROUP BY l_suppkey""",
        "res.revenue0",
        {"supplier_no": q(L, "l_suppkey"), "total_revenue": q(L, "l_extendedprice", "l_discount")},
        indirect=q(L, "l_shipdate"),
    ),
    Case(
        "tpch q15 part 2 (reads the view from the catalog)",
        """INSERT INTO res.q15 (s_suppkey, s_name, s_address, s_phone, total_revenue)
        SELECT s_suppkey, s_name, s_address, s_phone, total_revenue
        FROM tpch.supplier, res.revenue0
        WHERE s_suppkey = supplier_no
          AND total_revenue = (SELECT MAX(total_revenue) FROM res.revenue0)
        ORDER BY s_suppkey""",
        "res.q15",
        {
            "s_suppkey": q(S, "s_suppkey"),
            "s_name": q(S, "s_name"),
            "s_address": q(S, "s_address"),
            "s_phone": q(S, "s_phone"),
            "total_revenue": q("res.revenue0", "total_revenue"),
        },
        indirect=q("res.revenue0", "supplier_no"),
    ),
    Case(
        "tpch q16 (COUNT DISTINCT, NOT IN subquery)",
        """CREATE TABLE res.q16 AS
        SELECT p_brand, p_type, p_size, COUNT(DISTINCT ps_suppkey) AS supplier_cnt
        FROM tpch.partsupp, tpch.part
        WHERE p_partkey = ps_partkey AND p_brand <> 'Brand#45'
          AND p_type NOT LIKE 'MEDIUM POLISHED%' AND p_size IN (49, 14, 23, 45, 19, 3, 36, 9)
          AND ps_suppkey NOT IN (SELECT s_suppkey FROM tpch.supplier
                                 WHERE s_comment LIKE '%Customer%Complaints%')
        GROUP BY p_brand, p_type, p_size
        ORDER BY supplier_cnt DESC, p_brand, p_type, p_size""",
        "res.q16",
        {
            "p_brand": q(P, "p_brand"),
            "p_type": q(P, "p_type"),
            "p_size": q(P, "p_size"),
            "supplier_cnt": q(PS, "ps_suppkey"),
        },
        indirect=q(S, "s_comment") | q(P, "p_partkey"),
    ),
    Case(
        "tpch q17 (correlated AVG over the same table)",
        """INSERT INTO res.q17 (avg_yearly)
        SELECT SUM(l_extendedprice) / 7.0 AS avg_yearly
        FROM tpch.lineitem, tpch.part
        WHERE p_partkey = l_partkey AND p_brand = 'Brand#23' AND p_container = 'MED BOX'
          AND l_quantity < (SELECT 0.2 * AVG(l_quantity) FROM tpch.lineitem
                            WHERE l_partkey = p_partkey)""",
        "res.q17",
        {"avg_yearly": q(L, "l_extendedprice")},
        indirect=q(P, "p_brand", "p_container") | q(L, "l_quantity"),
    ),
    Case(
        "tpch q18 (IN subquery with HAVING)",
        """INSERT INTO res.q18 (c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, qty)
        SELECT c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, SUM(l_quantity)
        FROM tpch.customer, tpch.orders, tpch.lineitem
        WHERE o_orderkey IN (SELECT l_orderkey FROM tpch.lineitem GROUP BY l_orderkey
                             HAVING SUM(l_quantity) > 300)
          AND c_custkey = o_custkey AND o_orderkey = l_orderkey
        GROUP BY c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice
        ORDER BY o_totalprice DESC, o_orderdate""",
        "res.q18",
        {
            "c_name": q(C, "c_name"),
            "c_custkey": q(C, "c_custkey"),
            "o_orderkey": q(O, "o_orderkey"),
            "o_orderdate": q(O, "o_orderdate"),
            "o_totalprice": q(O, "o_totalprice"),
            "qty": q(L, "l_quantity"),
        },
    ),
    Case(
        "tpch q19 (three OR-ed predicate groups)",
        """INSERT INTO res.q19 (revenue)
        SELECT SUM(l_extendedprice * (1 - l_discount)) AS revenue
        FROM tpch.lineitem, tpch.part
        WHERE (p_partkey = l_partkey AND p_brand = 'Brand#12'
               AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG')
               AND l_quantity >= 1 AND l_quantity <= 1 + 10 AND p_size BETWEEN 1 AND 5
               AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
           OR (p_partkey = l_partkey AND p_brand = 'Brand#23'
               AND p_container IN ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK')
               AND l_quantity >= 10 AND l_quantity <= 10 + 10 AND p_size BETWEEN 1 AND 10
               AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
           OR (p_partkey = l_partkey AND p_brand = 'Brand#34'
               AND p_container IN ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG')
               AND l_quantity >= 20 AND l_quantity <= 20 + 10 AND p_size BETWEEN 1 AND 15
               AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')""",
        "res.q19",
        {"revenue": q(L, "l_extendedprice", "l_discount")},
        indirect=q(P, "p_brand", "p_container", "p_size") | q(L, "l_quantity", "l_shipmode"),
    ),
    Case(
        "tpch q20 (nested IN subqueries)",
        """CREATE VIEW res.q20 AS
        SELECT s_name, s_address
        FROM tpch.supplier, tpch.nation
        WHERE s_suppkey IN (
            SELECT ps_suppkey FROM tpch.partsupp
            WHERE ps_partkey IN (SELECT p_partkey FROM tpch.part WHERE p_name LIKE 'forest%')
              AND ps_availqty > (
                SELECT 0.5 * SUM(l_quantity) FROM tpch.lineitem
                WHERE l_partkey = ps_partkey AND l_suppkey = ps_suppkey
                  AND l_shipdate >= DATE '1994-01-01'
                  AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR))
          AND s_nationkey = n_nationkey AND n_name = 'CANADA'
        ORDER BY s_name""",
        "res.q20",
        {"s_name": q(S, "s_name"), "s_address": q(S, "s_address")},
        indirect=q(N, "n_name") | q(P, "p_name") | q(PS, "ps_availqty"),
    ),
    Case(
        "tpch q21 (EXISTS and NOT EXISTS over lineitem aliases)",
        """INSERT INTO res.q21 (s_name, numwait)
        SELECT s_name, COUNT(*) AS numwait
        FROM tpch.supplier, tpch.lineitem l1, tpch.orders, tpch.nation
        WHERE s_suppkey = l1.l_suppkey AND o_orderkey = l1.l_orderkey AND o_orderstatus = 'F'
          AND l1.l_receiptdate > l1.l_commitdate
          AND EXISTS (SELECT * FROM tpch.lineitem l2
                      WHERE l2.l_orderkey = l1.l_orderkey AND l2.l_suppkey <> l1.l_suppkey)
          AND NOT EXISTS (SELECT * FROM tpch.lineitem l3
                          WHERE l3.l_orderkey = l1.l_orderkey
                            AND l3.l_suppkey <> l1.l_suppkey
                            AND l3.l_receiptdate > l3.l_commitdate)
          AND s_nationkey = n_nationkey AND n_name = 'SAUDI ARABIA'
        GROUP BY s_name
        ORDER BY numwait DESC, s_name""",
        "res.q21",
        {"s_name": q(S, "s_name"), "numwait": set()},
        indirect=q(O, "o_orderstatus") | q(N, "n_name") | q(L, "l_receiptdate", "l_commitdate"),
    ),
    Case(
        "tpch q22 (SUBSTRING, scalar AVG, NOT EXISTS in a derived table)",
        """INSERT INTO res.q22 (cntrycode, numcust, totacctbal)
        SELECT cntrycode, COUNT(*) AS numcust, SUM(c_acctbal) AS totacctbal
        FROM (
          SELECT SUBSTRING(c_phone FROM 1 FOR 2) AS cntrycode, c_acctbal
          FROM tpch.customer
          WHERE SUBSTRING(c_phone FROM 1 FOR 2) IN ('13', '31', '23', '29', '30', '18', '17')
            AND c_acctbal > (SELECT AVG(c_acctbal) FROM tpch.customer
                             WHERE c_acctbal > 0.00
                               AND SUBSTRING(c_phone FROM 1 FOR 2)
                                   IN ('13', '31', '23', '29', '30', '18', '17'))
            AND NOT EXISTS (SELECT * FROM tpch.orders WHERE o_custkey = c_custkey)
        ) AS custsale
        GROUP BY cntrycode
        ORDER BY cntrycode""",
        "res.q22",
        {"cntrycode": q(C, "c_phone"), "numcust": set(), "totacctbal": q(C, "c_acctbal")},
    ),
]
