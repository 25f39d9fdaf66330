"""TPC-DS queries, from the specification's query templates (qualification substitutions;
the templates' LIMIT 100 left out, as a result table would not keep it), each written into a
result table, plus a three-channel UNION ALL in the specification's style."""

from __future__ import annotations

from tests.sql_lineage.corpus.base import Case, q

SS, SR, CS, WS = (f"tpcds.{t}" for t in ("store_sales", "store_returns", "catalog_sales",
                                         "web_sales"))  # fmt: skip
D, IT, ST, CU, CA = (f"tpcds.{t}" for t in ("date_dim", "item", "store", "customer",
                                            "customer_address"))  # fmt: skip
CD, HD, T, PR, INV = (f"tpcds.{t}" for t in ("customer_demographics", "household_demographics",
                                              "time_dim", "promotion", "inventory"))  # fmt: skip

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
Q43_SUMS = ",\n".join(
    f"SUM(CASE WHEN (d_day_name = '{name}') THEN ss_sales_price ELSE NULL END) AS {day}_sales"
    for day, name in zip(DAYS, DAY_NAMES, strict=True)
)
Q50_BANDS = ",\n".join(
    f"SUM(CASE WHEN {band} THEN 1 ELSE 0 END)"
    for band in (
        "(sr_returned_date_sk - ss_sold_date_sk <= 30)",
        "(sr_returned_date_sk - ss_sold_date_sk > 30) AND "
        "(sr_returned_date_sk - ss_sold_date_sk <= 60)",
        "(sr_returned_date_sk - ss_sold_date_sk > 60) AND "
        "(sr_returned_date_sk - ss_sold_date_sk <= 90)",
        "(sr_returned_date_sk - ss_sold_date_sk > 90) AND "
        "(sr_returned_date_sk - ss_sold_date_sk <= 120)",
        "(sr_returned_date_sk - ss_sold_date_sk > 120)",
    )
)
Q50_STORE = ("s_store_name", "s_company_id", "s_street_number", "s_street_name",
             "s_street_type", "s_suite_number", "s_city", "s_county", "s_state", "s_zip")  # fmt: skip

CASES = [
    Case(
        "tpc-ds q1 (CTE read twice, correlated AVG)",
        """INSERT INTO res.ds1 (c_customer_id)
        WITH customer_total_return AS (
          SELECT sr_customer_sk AS ctr_customer_sk, sr_store_sk AS ctr_store_sk,
                 SUM(sr_fee) AS ctr_total_return
          FROM tpcds.store_returns, tpcds.date_dim
          WHERE sr_returned_date_sk = d_date_sk AND d_year = 2000
          GROUP BY sr_customer_sk, sr_store_sk)
        SELECT c_customer_id
        FROM customer_total_return ctr1, tpcds.store, tpcds.customer
        WHERE ctr1.ctr_total_return > (SELECT AVG(ctr_total_return) * 1.2
                                       FROM customer_total_return ctr2
                                       WHERE ctr1.ctr_store_sk = ctr2.ctr_store_sk)
          AND s_store_sk = ctr1.ctr_store_sk AND s_state = 'TN'
          AND ctr1.ctr_customer_sk = c_customer_sk
        ORDER BY c_customer_id""",
        "res.ds1",
        {"c_customer_id": q(CU, "c_customer_id")},
        indirect=q(ST, "s_state") | q(SR, "sr_fee", "sr_customer_sk") | q(CU, "c_customer_sk"),
    ),
    Case(
        "tpc-ds q3 (brand revenue by year)",
        """INSERT INTO res.ds3 (d_year, brand_id, brand, sum_agg)
        SELECT dt.d_year, item.i_brand_id, item.i_brand, SUM(ss_ext_sales_price)
        FROM tpcds.date_dim dt, tpcds.store_sales, tpcds.item
        WHERE dt.d_date_sk = store_sales.ss_sold_date_sk
          AND store_sales.ss_item_sk = item.i_item_sk AND item.i_manufact_id = 128
          AND dt.d_moy = 11
        GROUP BY dt.d_year, item.i_brand, item.i_brand_id
        ORDER BY dt.d_year, sum_agg DESC, brand_id""",
        "res.ds3",
        {
            "d_year": q(D, "d_year"),
            "brand_id": q(IT, "i_brand_id"),
            "brand": q(IT, "i_brand"),
            "sum_agg": q(SS, "ss_ext_sales_price"),
        },
        indirect=q(IT, "i_manufact_id") | q(D, "d_moy"),
    ),
    Case(
        "tpc-ds q6 (scalar subqueries in WHERE, HAVING COUNT)",
        """INSERT INTO res.ds6 (state, cnt)
        SELECT a.ca_state AS state, COUNT(*) AS cnt
        FROM tpcds.customer_address a, tpcds.customer c, tpcds.store_sales s,
             tpcds.date_dim d, tpcds.item i
        WHERE a.ca_address_sk = c.c_current_addr_sk AND c.c_customer_sk = s.ss_customer_sk
          AND s.ss_sold_date_sk = d.d_date_sk AND s.ss_item_sk = i.i_item_sk
          AND d.d_month_seq = (SELECT DISTINCT (d_month_seq) FROM tpcds.date_dim
                               WHERE d_year = 2001 AND d_moy = 1)
          AND i.i_current_price > 1.2 * (SELECT AVG(j.i_current_price) FROM tpcds.item j
                                         WHERE j.i_category = i.i_category)
        GROUP BY a.ca_state
        HAVING COUNT(*) >= 10
        ORDER BY cnt, a.ca_state""",
        "res.ds6",
        {"state": q(CA, "ca_state"), "cnt": set()},
        indirect=q(IT, "i_current_price") | q(D, "d_month_seq") | q(CU, "c_current_addr_sk"),
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
          AND cd_gender = 'M' AND cd_marital_status = 'S' AND cd_education_status = 'College'
          AND (p_channel_email = 'N' OR p_channel_event = 'N') AND d_year = 2000
        GROUP BY i_item_id
        ORDER BY i_item_id""",
        "res.ds7",
        {
            "i_item_id": q(IT, "i_item_id"),
            "agg1": q(SS, "ss_quantity"),
            "agg2": q(SS, "ss_list_price"),
            "agg3": q(SS, "ss_coupon_amt"),
            "agg4": q(SS, "ss_sales_price"),
        },
        indirect=q(CD, "cd_gender") | q(PR, "p_channel_email", "p_channel_event"),
    ),
    Case(
        "tpc-ds q12 (revenue ratio: an aggregate over a window)",
        """INSERT INTO res.ds12 (i_item_id, i_item_desc, i_category, i_class, i_current_price,
                                 itemrevenue, revenueratio)
        SELECT i_item_id, i_item_desc, i_category, i_class, i_current_price,
               SUM(ws_ext_sales_price) AS itemrevenue,
               SUM(ws_ext_sales_price) * 100 / SUM(SUM(ws_ext_sales_price))
                 OVER (PARTITION BY i_class) AS revenueratio
        FROM tpcds.web_sales, tpcds.item, tpcds.date_dim
        WHERE ws_item_sk = i_item_sk AND i_category IN ('Sports', 'Books', 'Home')
          AND ws_sold_date_sk = d_date_sk
          AND d_date BETWEEN CAST('1999-02-22' AS DATE)
                         AND (CAST('1999-02-22' AS DATE) + INTERVAL '30' DAY)
        GROUP BY i_item_id, i_item_desc, i_category, i_class, i_current_price
        ORDER BY i_category, i_class, i_item_id, i_item_desc, revenueratio""",
        "res.ds12",
        {
            "i_item_id": q(IT, "i_item_id"),
            "i_item_desc": q(IT, "i_item_desc"),
            "i_category": q(IT, "i_category"),
            "i_class": q(IT, "i_class"),
            "i_current_price": q(IT, "i_current_price"),
            "itemrevenue": q(WS, "ws_ext_sales_price"),
            "revenueratio": q(WS, "ws_ext_sales_price"),
        },
        indirect=q(D, "d_date"),
    ),
    Case(
        "tpc-ds q15 (catalog sales by zip, OR-ed filters)",
        """INSERT INTO res.ds15 (ca_zip, total_sales)
        SELECT ca_zip, SUM(cs_sales_price)
        FROM tpcds.catalog_sales, tpcds.customer, tpcds.customer_address, tpcds.date_dim
        WHERE cs_bill_customer_sk = c_customer_sk AND c_current_addr_sk = ca_address_sk
          AND (SUBSTR(ca_zip, 1, 5) IN ('85669', '86197', '88274', '83405', '86475', '85392',
                                        '85460', '80348', '81792')
               OR ca_state IN ('CA', 'WA', 'GA') OR cs_sales_price > 500)
          AND cs_sold_date_sk = d_date_sk AND d_qoy = 2 AND d_year = 2001
        GROUP BY ca_zip
        ORDER BY ca_zip""",
        "res.ds15",
        {"ca_zip": q(CA, "ca_zip"), "total_sales": q(CS, "cs_sales_price")},
        indirect=q(CA, "ca_state") | q(D, "d_qoy", "d_year"),
    ),
    Case(
        "tpc-ds q19 (brand and manufacturer, zip comparison)",
        """CREATE TABLE res.ds19 AS
        SELECT i_brand_id AS brand_id, i_brand AS brand, i_manufact_id, i_manufact,
               SUM(ss_ext_sales_price) AS ext_price
        FROM tpcds.date_dim, tpcds.store_sales, tpcds.item, tpcds.customer,
             tpcds.customer_address, tpcds.store
        WHERE d_date_sk = ss_sold_date_sk AND ss_item_sk = i_item_sk AND i_manager_id = 8
          AND d_moy = 11 AND d_year = 1998 AND ss_customer_sk = c_customer_sk
          AND c_current_addr_sk = ca_address_sk
          AND SUBSTR(ca_zip, 1, 5) <> SUBSTR(s_zip, 1, 5) AND ss_store_sk = s_store_sk
        GROUP BY i_brand, i_brand_id, i_manufact_id, i_manufact
        ORDER BY ext_price DESC, i_brand, i_brand_id, i_manufact_id, i_manufact""",
        "res.ds19",
        {
            "brand_id": q(IT, "i_brand_id"),
            "brand": q(IT, "i_brand"),
            "i_manufact_id": q(IT, "i_manufact_id"),
            "i_manufact": q(IT, "i_manufact"),
            "ext_price": q(SS, "ss_ext_sales_price"),
        },
        indirect=q(CA, "ca_zip") | q(ST, "s_zip") | q(IT, "i_manager_id"),
    ),
    Case(
        "tpc-ds q27 (ROLLUP and GROUPING)",
        """INSERT INTO res.ds27 (i_item_id, s_state, g_state, agg1, agg2, agg3, agg4)
        SELECT i_item_id, s_state, GROUPING(s_state) AS g_state, AVG(ss_quantity) AS agg1,
               AVG(ss_list_price) AS agg2, AVG(ss_coupon_amt) AS agg3,
               AVG(ss_sales_price) AS agg4
        FROM tpcds.store_sales, tpcds.customer_demographics, tpcds.date_dim, tpcds.store,
             tpcds.item
        WHERE ss_sold_date_sk = d_date_sk AND ss_item_sk = i_item_sk AND ss_store_sk = s_store_sk
          AND ss_cdemo_sk = cd_demo_sk AND cd_gender = 'M' AND cd_marital_status = 'S'
          AND cd_education_status = 'College' AND d_year = 2002
          AND s_state IN ('TN', 'TN', 'TN', 'TN', 'TN', 'TN')
        GROUP BY ROLLUP (i_item_id, s_state)
        ORDER BY i_item_id, s_state""",
        "res.ds27",
        {
            "i_item_id": q(IT, "i_item_id"),
            "s_state": q(ST, "s_state"),
            # GROUPING() says whether the row rolls s_state up: no value of s_state in it.
            "g_state": set(),
            "agg1": q(SS, "ss_quantity"),
            "agg2": q(SS, "ss_list_price"),
            "agg3": q(SS, "ss_coupon_amt"),
            "agg4": q(SS, "ss_sales_price"),
        },
        indirect=q(CD, "cd_gender", "cd_marital_status") | q(D, "d_year"),
    ),
    Case(
        "tpc-ds q37 (inventory, GROUP BY without aggregates)",
        """INSERT INTO res.ds37 (i_item_id, i_item_desc, i_current_price)
        SELECT i_item_id, i_item_desc, i_current_price
        FROM tpcds.item, tpcds.inventory, tpcds.date_dim, tpcds.catalog_sales
        WHERE i_current_price BETWEEN 68 AND 68 + 30 AND inv_item_sk = i_item_sk
          AND d_date_sk = inv_date_sk
          AND d_date BETWEEN CAST('2000-02-01' AS DATE)
                         AND (CAST('2000-02-01' AS DATE) + INTERVAL '60' DAY)
          AND i_manufact_id IN (677, 940, 694, 808)
          AND inv_quantity_on_hand BETWEEN 100 AND 500 AND cs_item_sk = i_item_sk
        GROUP BY i_item_id, i_item_desc, i_current_price
        ORDER BY i_item_id""",
        "res.ds37",
        {
            "i_item_id": q(IT, "i_item_id"),
            "i_item_desc": q(IT, "i_item_desc"),
            "i_current_price": q(IT, "i_current_price"),
        },
        indirect=q(INV, "inv_quantity_on_hand", "inv_item_sk") | q(CS, "cs_item_sk"),
    ),
    Case(
        "tpc-ds q42 (ORDER BY an aggregate)",
        """INSERT INTO res.ds42 (d_year, i_category_id, i_category, sales)
        SELECT dt.d_year, item.i_category_id, item.i_category, SUM(ss_ext_sales_price)
        FROM tpcds.date_dim dt, tpcds.store_sales, tpcds.item
        WHERE dt.d_date_sk = store_sales.ss_sold_date_sk
          AND store_sales.ss_item_sk = item.i_item_sk AND item.i_manager_id = 1
          AND dt.d_moy = 11 AND dt.d_year = 2000
        GROUP BY dt.d_year, item.i_category_id, item.i_category
        ORDER BY SUM(ss_ext_sales_price) DESC, dt.d_year, item.i_category_id, item.i_category""",
        "res.ds42",
        {
            "d_year": q(D, "d_year"),
            "i_category_id": q(IT, "i_category_id"),
            "i_category": q(IT, "i_category"),
            "sales": q(SS, "ss_ext_sales_price"),
        },
        indirect=q(IT, "i_manager_id") | q(D, "d_moy"),
    ),
    Case(
        "tpc-ds q43 (a pivot: seven CASE sums)",
        f"""CREATE TABLE res.ds43 AS
        SELECT s_store_name, s_store_id,
        {Q43_SUMS}
        FROM tpcds.date_dim, tpcds.store_sales, tpcds.store
        WHERE d_date_sk = ss_sold_date_sk AND s_store_sk = ss_store_sk AND s_gmt_offset = -5
          AND d_year = 2000
        GROUP BY s_store_name, s_store_id
        ORDER BY s_store_name, s_store_id, sun_sales, mon_sales, tue_sales, wed_sales,
                 thu_sales, fri_sales, sat_sales""",
        "res.ds43",
        {
            "s_store_name": q(ST, "s_store_name"),
            "s_store_id": q(ST, "s_store_id"),
            **{f"{day}_sales": q(SS, "ss_sales_price") for day in DAYS},
        },
        indirect=q(D, "d_day_name", "d_year") | q(ST, "s_gmt_offset"),
    ),
    Case(
        "tpc-ds q50 (return-delay bands: CASE counts only)",
        f"""INSERT INTO res.ds50 ({", ".join(Q50_STORE)}, days_30, days_31_60, days_61_90,
                                 days_91_120, days_over_120)
        SELECT {", ".join(Q50_STORE)},
        {Q50_BANDS}
        FROM tpcds.store_sales, tpcds.store_returns, tpcds.store, tpcds.date_dim d1,
             tpcds.date_dim d2
        WHERE d2.d_year = 2001 AND d2.d_moy = 8 AND ss_ticket_number = sr_ticket_number
          AND ss_item_sk = sr_item_sk AND ss_sold_date_sk = d1.d_date_sk
          AND sr_returned_date_sk = d2.d_date_sk AND ss_customer_sk = sr_customer_sk
          AND ss_store_sk = s_store_sk
        GROUP BY {", ".join(Q50_STORE)}
        ORDER BY {", ".join(Q50_STORE)}""",
        "res.ds50",
        {
            **{c: q(ST, c) for c in Q50_STORE},
            **{
                c: set()
                for c in ("days_30", "days_31_60", "days_61_90", "days_91_120", "days_over_120")
            },  # fmt: skip
        },
        indirect=q(SR, "sr_returned_date_sk") | q(SS, "ss_sold_date_sk") | q(D, "d_moy"),
    ),
    Case(
        "tpc-ds q53 (SELECT * over a derived table with a window)",
        """INSERT INTO res.ds53 (i_manufact_id, sum_sales, avg_quarterly_sales)
        SELECT * FROM (
          SELECT i_manufact_id, SUM(ss_sales_price) AS sum_sales,
                 AVG(SUM(ss_sales_price)) OVER (PARTITION BY i_manufact_id)
                   AS avg_quarterly_sales
          FROM tpcds.item, tpcds.store_sales, tpcds.date_dim, tpcds.store
          WHERE ss_item_sk = i_item_sk AND ss_sold_date_sk = d_date_sk
            AND ss_store_sk = s_store_sk
            AND d_month_seq IN (1200, 1200 + 1, 1200 + 2, 1200 + 3, 1200 + 4, 1200 + 5,
                                1200 + 6, 1200 + 7, 1200 + 8, 1200 + 9, 1200 + 10, 1200 + 11)
            AND ((i_category IN ('Books', 'Children', 'Electronics')
                  AND i_class IN ('personal', 'portable', 'reference', 'self-help')
                  AND i_brand IN ('scholaramalgamat #14', 'scholaramalgamat #7',
                                  'exportiunivamalg #9', 'scholaramalgamat #9'))
              OR (i_category IN ('Women', 'Music', 'Men')
                  AND i_class IN ('accessories', 'classical', 'fragrances', 'pants')
                  AND i_brand IN ('amalgimporto #1', 'edu packscholar #1',
                                  'exportiimporto #1', 'importoamalg #1')))
          GROUP BY i_manufact_id, d_qoy
        ) tmp1
        WHERE CASE WHEN avg_quarterly_sales > 0
                   THEN ABS(sum_sales - avg_quarterly_sales) / avg_quarterly_sales
                   ELSE NULL END > 0.1
        ORDER BY avg_quarterly_sales, sum_sales, i_manufact_id""",
        "res.ds53",
        {
            "i_manufact_id": q(IT, "i_manufact_id"),
            "sum_sales": q(SS, "ss_sales_price"),
            "avg_quarterly_sales": q(SS, "ss_sales_price"),
        },
        indirect=q(D, "d_month_seq", "d_qoy") | q(IT, "i_category", "i_class", "i_brand"),
    ),
    Case(
        "tpc-ds q55 (view, brand revenue for one manager)",
        """CREATE VIEW res.ds55 AS
        SELECT i_brand_id AS brand_id, i_brand AS brand, SUM(ss_ext_sales_price) AS ext_price
        FROM tpcds.date_dim, tpcds.store_sales, tpcds.item
        WHERE d_date_sk = ss_sold_date_sk AND ss_item_sk = i_item_sk AND i_manager_id = 28
          AND d_moy = 11 AND d_year = 1999
        GROUP BY i_brand, i_brand_id
        ORDER BY ext_price DESC, i_brand_id""",
        "res.ds55",
        {
            "brand_id": q(IT, "i_brand_id"),
            "brand": q(IT, "i_brand"),
            "ext_price": q(SS, "ss_ext_sales_price"),
        },
        indirect=q(IT, "i_manager_id"),
    ),
    Case(
        "tpc-ds q79 (derived table joined to customer)",
        """INSERT INTO res.ds79 (c_last_name, c_first_name, s_city, ss_ticket_number, amt,
                                 profit)
        SELECT c_last_name, c_first_name, SUBSTR(s_city, 1, 30), ss_ticket_number, amt, profit
        FROM (
          SELECT ss_ticket_number, ss_customer_sk, store.s_city, SUM(ss_coupon_amt) AS amt,
                 SUM(ss_net_profit) AS profit
          FROM tpcds.store_sales, tpcds.date_dim, tpcds.store, tpcds.household_demographics
          WHERE store_sales.ss_sold_date_sk = date_dim.d_date_sk
            AND store_sales.ss_store_sk = store.s_store_sk
            AND store_sales.ss_hdemo_sk = household_demographics.hd_demo_sk
            AND (household_demographics.hd_dep_count = 6
                 OR household_demographics.hd_vehicle_count > 2)
            AND date_dim.d_dow = 1 AND date_dim.d_year IN (1999, 1999 + 1, 1999 + 2)
            AND store.s_number_employees BETWEEN 200 AND 295
          GROUP BY ss_ticket_number, ss_customer_sk, ss_addr_sk, store.s_city
        ) ms, tpcds.customer
        WHERE ss_customer_sk = c_customer_sk
        ORDER BY c_last_name, c_first_name, SUBSTR(s_city, 1, 30), profit""",
        "res.ds79",
        {
            "c_last_name": q(CU, "c_last_name"),
            "c_first_name": q(CU, "c_first_name"),
            "s_city": q(ST, "s_city"),
            "ss_ticket_number": q(SS, "ss_ticket_number"),
            "amt": q(SS, "ss_coupon_amt"),
            "profit": q(SS, "ss_net_profit"),
        },
        indirect=q(HD, "hd_dep_count", "hd_vehicle_count")
        | q(SS, "ss_customer_sk")
        | q(CU, "c_customer_sk"),
    ),
    Case(
        "tpc-ds q93 (LEFT JOIN then comma join; a column both condition and value)",
        """INSERT INTO res.ds93 (ss_customer_sk, sumsales)
        SELECT ss_customer_sk, SUM(act_sales) AS sumsales
        FROM (
          SELECT ss_item_sk, ss_ticket_number, ss_customer_sk,
                 CASE WHEN sr_return_quantity IS NOT NULL
                      THEN (ss_quantity - sr_return_quantity) * ss_sales_price
                      ELSE (ss_quantity * ss_sales_price) END AS act_sales
          FROM tpcds.store_sales
          LEFT OUTER JOIN tpcds.store_returns
            ON (sr_item_sk = ss_item_sk AND sr_ticket_number = ss_ticket_number),
            tpcds.reason
          WHERE sr_reason_sk = r_reason_sk AND r_reason_desc = 'reason 28'
        ) t
        GROUP BY ss_customer_sk
        ORDER BY sumsales, ss_customer_sk""",
        "res.ds93",
        {
            "ss_customer_sk": q(SS, "ss_customer_sk"),
            "sumsales": q(SS, "ss_quantity", "ss_sales_price") | q(SR, "sr_return_quantity"),
        },
        indirect=q("tpcds.reason", "r_reason_desc") | q(SR, "sr_item_sk", "sr_ticket_number"),
    ),
    Case(
        "tpc-ds q96 (COUNT(*) only: no field edge)",
        """INSERT INTO res.ds96 (cnt)
        SELECT COUNT(*)
        FROM tpcds.store_sales, tpcds.household_demographics, tpcds.time_dim, tpcds.store
        WHERE ss_sold_time_sk = time_dim.t_time_sk
          AND ss_hdemo_sk = household_demographics.hd_demo_sk AND ss_store_sk = s_store_sk
          AND time_dim.t_hour = 20 AND time_dim.t_minute >= 30
          AND household_demographics.hd_dep_count = 7 AND store.s_store_name = 'ese'
        ORDER BY COUNT(*)""",
        "res.ds96",
        {"cnt": set()},
        indirect=q(T, "t_hour", "t_minute") | q(HD, "hd_dep_count") | q(ST, "s_store_name"),
    ),
    Case(
        "tpc-ds q97 (FULL OUTER JOIN of two CTEs, CASE counts only)",
        """INSERT INTO res.ds97 (store_only, catalog_only, store_and_catalog)
        WITH ssci AS (
          SELECT ss_customer_sk AS customer_sk, ss_item_sk AS item_sk
          FROM tpcds.store_sales, tpcds.date_dim
          WHERE ss_sold_date_sk = d_date_sk AND d_month_seq BETWEEN 1200 AND 1200 + 11
          GROUP BY ss_customer_sk, ss_item_sk),
        csci AS (
          SELECT cs_bill_customer_sk AS customer_sk, cs_item_sk AS item_sk
          FROM tpcds.catalog_sales, tpcds.date_dim
          WHERE cs_sold_date_sk = d_date_sk AND d_month_seq BETWEEN 1200 AND 1200 + 11
          GROUP BY cs_bill_customer_sk, cs_item_sk)
        SELECT SUM(CASE WHEN ssci.customer_sk IS NOT NULL AND csci.customer_sk IS NULL
                        THEN 1 ELSE 0 END) AS store_only,
               SUM(CASE WHEN ssci.customer_sk IS NULL AND csci.customer_sk IS NOT NULL
                        THEN 1 ELSE 0 END) AS catalog_only,
               SUM(CASE WHEN ssci.customer_sk IS NOT NULL AND csci.customer_sk IS NOT NULL
                        THEN 1 ELSE 0 END) AS store_and_catalog
        FROM ssci FULL OUTER JOIN csci
          ON (ssci.customer_sk = csci.customer_sk AND ssci.item_sk = csci.item_sk)""",
        "res.ds97",
        {"store_only": set(), "catalog_only": set(), "store_and_catalog": set()},
        indirect=q(SS, "ss_customer_sk", "ss_item_sk")
        | q(CS, "cs_bill_customer_sk")
        | q(D, "d_month_seq"),
    ),
    *[
        Case(
            f"tpc-ds {number} (revenue ratio over {sales})",
            f"""INSERT INTO res.ds{number[1:]} (i_item_id, i_item_desc, i_category, i_class,
                                    i_current_price, itemrevenue, revenueratio)
            SELECT i_item_id, i_item_desc, i_category, i_class, i_current_price,
                   SUM({p}_ext_sales_price) AS itemrevenue,
                   SUM({p}_ext_sales_price) * 100 / SUM(SUM({p}_ext_sales_price))
                     OVER (PARTITION BY i_class) AS revenueratio
            FROM tpcds.{sales}, tpcds.item, tpcds.date_dim
            WHERE {p}_item_sk = i_item_sk AND i_category IN ('Sports', 'Books', 'Home')
              AND {p}_sold_date_sk = d_date_sk
              AND d_date BETWEEN CAST('1999-02-22' AS DATE)
                             AND (CAST('1999-02-22' AS DATE) + INTERVAL '30' DAY)
            GROUP BY i_item_id, i_item_desc, i_category, i_class, i_current_price
            ORDER BY i_category, i_class, i_item_id, i_item_desc, revenueratio""",
            f"res.ds{number[1:]}",
            {
                **{
                    c: q(IT, c)
                    for c in (
                        "i_item_id",
                        "i_item_desc",
                        "i_category",
                        "i_class",
                        "i_current_price",
                    )
                },  # fmt: skip
                "itemrevenue": q(f"tpcds.{sales}", f"{p}_ext_sales_price"),
                "revenueratio": q(f"tpcds.{sales}", f"{p}_ext_sales_price"),
            },
            indirect=q(D, "d_date") | q(IT, "i_item_sk"),
        )
        for number, sales, p in (("q20", "catalog_sales", "cs"), ("q98", "store_sales", "ss"))
    ],
    Case(
        "tpc-ds q26 (catalog averages over demographics and promotions)",
        """CREATE TABLE res.ds26 AS
        SELECT i_item_id, AVG(cs_quantity) AS agg1, AVG(cs_list_price) AS agg2,
               AVG(cs_coupon_amt) AS agg3, AVG(cs_sales_price) AS agg4
        FROM tpcds.catalog_sales, tpcds.customer_demographics, tpcds.date_dim, tpcds.item,
             tpcds.promotion
        WHERE cs_sold_date_sk = d_date_sk AND cs_item_sk = i_item_sk
          AND cs_bill_cdemo_sk = cd_demo_sk AND cs_promo_sk = p_promo_sk AND cd_gender = 'M'
          AND cd_marital_status = 'S' AND cd_education_status = 'College'
          AND (p_channel_email = 'N' OR p_channel_event = 'N') AND d_year = 2000
        GROUP BY i_item_id
        ORDER BY i_item_id""",
        "res.ds26",
        {
            "i_item_id": q(IT, "i_item_id"),
            "agg1": q(CS, "cs_quantity"),
            "agg2": q(CS, "cs_list_price"),
            "agg3": q(CS, "cs_coupon_amt"),
            "agg4": q(CS, "cs_sales_price"),
        },
        indirect=q(CD, "cd_gender", "cd_education_status") | q(PR, "p_channel_event"),
    ),
    Case(
        "tpc-ds q46 (customer_address twice: bought city and current city)",
        """INSERT INTO res.ds46 (c_last_name, c_first_name, ca_city, bought_city,
                                 ss_ticket_number, amt, profit)
        SELECT c_last_name, c_first_name, ca_city, bought_city, ss_ticket_number, amt, profit
        FROM (
          SELECT ss_ticket_number, ss_customer_sk, ca_city AS bought_city,
                 SUM(ss_coupon_amt) AS amt, SUM(ss_net_profit) AS profit
          FROM tpcds.store_sales, tpcds.date_dim, tpcds.store, tpcds.household_demographics,
               tpcds.customer_address
          WHERE store_sales.ss_sold_date_sk = date_dim.d_date_sk
            AND store_sales.ss_store_sk = store.s_store_sk
            AND store_sales.ss_hdemo_sk = household_demographics.hd_demo_sk
            AND store_sales.ss_addr_sk = customer_address.ca_address_sk
            AND (household_demographics.hd_dep_count = 4
                 OR household_demographics.hd_vehicle_count = 3)
            AND date_dim.d_dow IN (6, 0) AND date_dim.d_year IN (1999, 1999 + 1, 1999 + 2)
            AND store.s_city IN ('Fairview', 'Midway')
          GROUP BY ss_ticket_number, ss_customer_sk, ss_addr_sk, ca_city
        ) dn, tpcds.customer, tpcds.customer_address current_addr
        WHERE ss_customer_sk = c_customer_sk
          AND customer.c_current_addr_sk = current_addr.ca_address_sk
          AND current_addr.ca_city <> bought_city
        ORDER BY c_last_name, c_first_name, ca_city, bought_city, ss_ticket_number""",
        "res.ds46",
        {
            "c_last_name": q(CU, "c_last_name"),
            "c_first_name": q(CU, "c_first_name"),
            "ca_city": q(CA, "ca_city"),
            "bought_city": q(CA, "ca_city"),
            "ss_ticket_number": q(SS, "ss_ticket_number"),
            "amt": q(SS, "ss_coupon_amt"),
            "profit": q(SS, "ss_net_profit"),
        },
        indirect=q(ST, "s_city") | q(CU, "c_current_addr_sk") | q(HD, "hd_vehicle_count"),
    ),
    Case(
        "tpc-ds q52 (brand revenue, ORDER BY an alias)",
        """INSERT INTO res.ds52 (d_year, brand_id, brand, ext_price)
        SELECT dt.d_year, item.i_brand_id AS brand_id, item.i_brand AS brand,
               SUM(ss_ext_sales_price) AS ext_price
        FROM tpcds.date_dim dt, tpcds.store_sales, tpcds.item
        WHERE dt.d_date_sk = store_sales.ss_sold_date_sk
          AND store_sales.ss_item_sk = item.i_item_sk AND item.i_manager_id = 1
          AND dt.d_moy = 11 AND dt.d_year = 2000
        GROUP BY dt.d_year, item.i_brand, item.i_brand_id
        ORDER BY dt.d_year, ext_price DESC, brand_id""",
        "res.ds52",
        {
            "d_year": q(D, "d_year"),
            "brand_id": q(IT, "i_brand_id"),
            "brand": q(IT, "i_brand"),
            "ext_price": q(SS, "ss_ext_sales_price"),
        },
        indirect=q(IT, "i_manager_id") | q(D, "d_moy"),
    ),
    Case(
        "tpc-ds q65 (two derived tables, one nested)",
        """INSERT INTO res.ds65 (s_store_name, i_item_desc, revenue, i_current_price,
                                 i_wholesale_cost, i_brand)
        SELECT s_store_name, i_item_desc, sc.revenue, i_current_price, i_wholesale_cost, i_brand
        FROM tpcds.store, tpcds.item,
             (SELECT ss_store_sk, AVG(revenue) AS ave
              FROM (SELECT ss_store_sk, ss_item_sk, SUM(ss_sales_price) AS revenue
                    FROM tpcds.store_sales, tpcds.date_dim
                    WHERE ss_sold_date_sk = d_date_sk AND d_month_seq BETWEEN 1176 AND 1176 + 11
                    GROUP BY ss_store_sk, ss_item_sk) sa
              GROUP BY ss_store_sk) sb,
             (SELECT ss_store_sk, ss_item_sk, SUM(ss_sales_price) AS revenue
              FROM tpcds.store_sales, tpcds.date_dim
              WHERE ss_sold_date_sk = d_date_sk AND d_month_seq BETWEEN 1176 AND 1176 + 11
              GROUP BY ss_store_sk, ss_item_sk) sc
        WHERE sb.ss_store_sk = sc.ss_store_sk AND sc.revenue <= 0.1 * sb.ave
          AND s_store_sk = sc.ss_store_sk AND i_item_sk = sc.ss_item_sk
        ORDER BY s_store_name, i_item_desc""",
        "res.ds65",
        {
            "s_store_name": q(ST, "s_store_name"),
            "i_item_desc": q(IT, "i_item_desc"),
            "revenue": q(SS, "ss_sales_price"),
            "i_current_price": q(IT, "i_current_price"),
            "i_wholesale_cost": q(IT, "i_wholesale_cost"),
            "i_brand": q(IT, "i_brand"),
        },
        indirect=q(D, "d_month_seq") | q(ST, "s_store_sk") | q(IT, "i_item_sk"),
    ),
    Case(
        "tpc-ds q68 (three sums in a derived table, two address aliases)",
        """CREATE TABLE res.ds68 AS
        SELECT c_last_name, c_first_name, ca_city, bought_city, ss_ticket_number,
               extended_price, extended_tax, list_price
        FROM (
          SELECT ss_ticket_number, ss_customer_sk, ca_city AS bought_city,
                 SUM(ss_ext_sales_price) AS extended_price,
                 SUM(ss_ext_list_price) AS list_price, SUM(ss_ext_tax) AS extended_tax
          FROM tpcds.store_sales, tpcds.date_dim, tpcds.store, tpcds.household_demographics,
               tpcds.customer_address
          WHERE store_sales.ss_sold_date_sk = date_dim.d_date_sk
            AND store_sales.ss_store_sk = store.s_store_sk
            AND store_sales.ss_hdemo_sk = household_demographics.hd_demo_sk
            AND store_sales.ss_addr_sk = customer_address.ca_address_sk
            AND date_dim.d_dom BETWEEN 1 AND 2
            AND (household_demographics.hd_dep_count = 4
                 OR household_demographics.hd_vehicle_count = 3)
            AND date_dim.d_year IN (1999, 1999 + 1, 1999 + 2)
            AND store.s_city IN ('Midway', 'Fairview')
          GROUP BY ss_ticket_number, ss_customer_sk, ss_addr_sk, ca_city
        ) dn, tpcds.customer, tpcds.customer_address current_addr
        WHERE ss_customer_sk = c_customer_sk
          AND customer.c_current_addr_sk = current_addr.ca_address_sk
          AND current_addr.ca_city <> bought_city
        ORDER BY c_last_name, ss_ticket_number""",
        "res.ds68",
        {
            "c_last_name": q(CU, "c_last_name"),
            "c_first_name": q(CU, "c_first_name"),
            "ca_city": q(CA, "ca_city"),
            "bought_city": q(CA, "ca_city"),
            "ss_ticket_number": q(SS, "ss_ticket_number"),
            "extended_price": q(SS, "ss_ext_sales_price"),
            "extended_tax": q(SS, "ss_ext_tax"),
            "list_price": q(SS, "ss_ext_list_price"),
        },
        indirect=q(D, "d_dom") | q(ST, "s_city"),
    ),
    Case(
        "tpc-ds q73 (COUNT(*) in a derived table, CASE in WHERE)",
        """INSERT INTO res.ds73 (c_last_name, c_first_name, c_salutation, c_preferred_cust_flag,
                                 ss_ticket_number, cnt)
        SELECT c_last_name, c_first_name, c_salutation, c_preferred_cust_flag,
               ss_ticket_number, cnt
        FROM (
          SELECT ss_ticket_number, ss_customer_sk, COUNT(*) AS cnt
          FROM tpcds.store_sales, tpcds.date_dim, tpcds.store, tpcds.household_demographics
          WHERE store_sales.ss_sold_date_sk = date_dim.d_date_sk
            AND store_sales.ss_store_sk = store.s_store_sk
            AND store_sales.ss_hdemo_sk = household_demographics.hd_demo_sk
            AND date_dim.d_dom BETWEEN 1 AND 2
            AND (household_demographics.hd_buy_potential = '>10000'
                 OR household_demographics.hd_buy_potential = 'Unknown')
            AND household_demographics.hd_vehicle_count > 0
            AND CASE WHEN household_demographics.hd_vehicle_count > 0
                     THEN household_demographics.hd_dep_count
                          / household_demographics.hd_vehicle_count
                     ELSE NULL END > 1
            AND date_dim.d_year IN (1999, 1999 + 1, 1999 + 2)
            AND store.s_county IN ('Williamson County', 'Franklin Parish', 'Bronx County',
                                   'Orange County')
          GROUP BY ss_ticket_number, ss_customer_sk
        ) dj, tpcds.customer
        WHERE ss_customer_sk = c_customer_sk AND cnt BETWEEN 1 AND 5
        ORDER BY cnt DESC, c_last_name ASC""",
        "res.ds73",
        {
            "c_last_name": q(CU, "c_last_name"),
            "c_first_name": q(CU, "c_first_name"),
            "c_salutation": q(CU, "c_salutation"),
            "c_preferred_cust_flag": q(CU, "c_preferred_cust_flag"),
            "ss_ticket_number": q(SS, "ss_ticket_number"),
            "cnt": set(),
        },
        indirect=q(HD, "hd_buy_potential", "hd_dep_count") | q(ST, "s_county"),
    ),
    Case(
        "tpc-ds q89 (monthly sales against a windowed average)",
        """INSERT INTO res.ds89 (i_category, i_class, i_brand, s_store_name, s_company_name,
                                 d_moy, sum_sales, avg_monthly_sales)
        SELECT * FROM (
          SELECT i_category, i_class, i_brand, s_store_name, s_company_name, d_moy,
                 SUM(ss_sales_price) AS sum_sales,
                 AVG(SUM(ss_sales_price)) OVER (PARTITION BY i_category, i_brand, s_store_name,
                                                             s_company_name)
                   AS avg_monthly_sales
          FROM tpcds.item, tpcds.store_sales, tpcds.date_dim, tpcds.store
          WHERE ss_item_sk = i_item_sk AND ss_sold_date_sk = d_date_sk
            AND ss_store_sk = s_store_sk AND d_year IN (1999)
            AND ((i_category IN ('Books', 'Electronics', 'Sports')
                  AND i_class IN ('computers', 'stereo', 'football'))
              OR (i_category IN ('Men', 'Jewelry', 'Women')
                  AND i_class IN ('shirts', 'birdal', 'dresses')))
          GROUP BY i_category, i_class, i_brand, s_store_name, s_company_name, d_moy
        ) tmp1
        WHERE CASE WHEN (avg_monthly_sales <> 0)
                   THEN (ABS(sum_sales - avg_monthly_sales) / avg_monthly_sales)
                   ELSE NULL END > 0.1
        ORDER BY sum_sales - avg_monthly_sales, s_store_name""",
        "res.ds89",
        {
            "i_category": q(IT, "i_category"),
            "i_class": q(IT, "i_class"),
            "i_brand": q(IT, "i_brand"),
            "s_store_name": q(ST, "s_store_name"),
            "s_company_name": q(ST, "s_company_name"),
            "d_moy": q(D, "d_moy"),
            "sum_sales": q(SS, "ss_sales_price"),
            "avg_monthly_sales": q(SS, "ss_sales_price"),
        },
        indirect=q(D, "d_year"),
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
            "item_sk": q(SS, "ss_item_sk") | q(WS, "ws_item_sk") | q(CS, "cs_item_sk"),
            "sales": q(SS, "ss_ext_sales_price")
            | q(WS, "ws_ext_sales_price")
            | q(CS, "cs_ext_sales_price"),
            "profit": q(SS, "ss_net_profit") | q(WS, "ws_net_profit") | q(CS, "cs_net_profit"),
        },
    ),
]
