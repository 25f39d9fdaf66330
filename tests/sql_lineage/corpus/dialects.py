"""Statement shapes every dialect reads (COMMON), then statements in one vendor's syntax, each
run in its own dialect only: Oracle (HR sample schema), PostgreSQL (a shop), MySQL (Sakila
sample) and ANSI constructs in the generic one."""

from __future__ import annotations

from graph_api.sql_lineage import Dialect
from tests.sql_lineage.corpus.base import Case, q

E, DEP, J, LOC = (f"hr.{t}" for t in ("employees", "departments", "jobs", "locations"))
SC, SO, SI, SP, SE = (f"shop.{t}" for t in ("customers", "orders", "order_items", "products",
                                             "events"))  # fmt: skip
KC, KP, KR, KI, KF = (f"sakila.{t}" for t in ("customer", "payment", "rental", "inventory",
                                               "film"))  # fmt: skip
TO, TC, TS, TP, TPS = (f"tpch.{t}" for t in ("orders", "customer", "supplier", "part",
                                              "partsupp"))  # fmt: skip

COMMON = [
    Case(
        "SELECT * expanded from the catalog",
        "INSERT INTO res.region_copy SELECT * FROM tpch.region",
        "res.region_copy",
        {c: q("tpch.region", c) for c in ("r_regionkey", "r_name", "r_comment")},
    ),
    Case(
        "CREATE VIEW with a column list",
        """CREATE VIEW res.nation_names (nation, region) AS
        SELECT n.n_name, r.r_name FROM tpch.nation n JOIN tpch.region r
        ON n.n_regionkey = r.r_regionkey""",
        "res.nation_names",
        {"nation": q("tpch.nation", "n_name"), "region": q("tpch.region", "r_name")},
        indirect=q("tpch.nation", "n_regionkey") | q("tpch.region", "r_regionkey"),
    ),
    Case(
        "MERGE (update and insert)",
        """MERGE INTO res.supplier_balance b USING tpch.supplier s ON b.s_suppkey = s.s_suppkey
        WHEN MATCHED THEN UPDATE SET s_acctbal = s.s_acctbal, s_name = s.s_name
        WHEN NOT MATCHED THEN INSERT (s_suppkey, s_name, s_acctbal)
          VALUES (s.s_suppkey, s.s_name, s.s_acctbal)""",
        "res.supplier_balance",
        {
            "s_suppkey": q(TS, "s_suppkey"),
            "s_name": q(TS, "s_name"),
            "s_acctbal": q(TS, "s_acctbal"),
        },
    ),
    Case(
        "UPDATE ... FROM",
        """UPDATE res.customer_value SET total = o.o_totalprice
        FROM tpch.orders o WHERE o.o_custkey = customer_value.c_custkey""",
        "res.customer_value",
        {"total": q(TO, "o_totalprice"), "c_custkey": set()},
        indirect=q(TO, "o_custkey"),
    ),
    Case(
        "UPDATE ... SET to a correlated scalar subquery",
        """UPDATE res.customer_value
        SET total = (SELECT SUM(o.o_totalprice) FROM tpch.orders o
                     WHERE o.o_custkey = customer_value.c_custkey)""",
        "res.customer_value",
        {"total": q(TO, "o_totalprice"), "c_custkey": set()},
    ),
]

ORACLE = [
    Case(
        "oracle MERGE (USING a subquery with NVL, UPDATE ... DELETE WHERE)",
        """MERGE INTO hr.employee_bonus b
        USING (SELECT employee_id, salary * NVL(commission_pct, 0) AS bonus
               FROM hr.employees WHERE department_id = 80) e
        ON (b.employee_id = e.employee_id)
        WHEN MATCHED THEN UPDATE SET b.bonus = e.bonus DELETE WHERE b.bonus = 0
        WHEN NOT MATCHED THEN INSERT (b.employee_id, b.bonus) VALUES (e.employee_id, e.bonus)""",
        "hr.employee_bonus",
        {"employee_id": q(E, "employee_id"), "bonus": q(E, "salary", "commission_pct")},
        indirect=q(E, "department_id"),
        dialects=(Dialect.ORACLE,),
        gap="sqlglot 30.31 does not parse MERGE's `UPDATE SET ... DELETE WHERE` (Oracle): the "
        "statement is reported unparsed at line 5, column 61",
    ),
    Case(
        "oracle CONNECT BY (LEVEL, SYS_CONNECT_BY_PATH, ||, ORDER SIBLINGS BY)",
        """INSERT INTO hr.org_chart (employee_id, full_name, manager_id, depth, path)
        SELECT employee_id, first_name || ' ' || last_name, manager_id, LEVEL,
               SYS_CONNECT_BY_PATH(last_name, '/')
        FROM hr.employees
        START WITH manager_id IS NULL
        CONNECT BY PRIOR employee_id = manager_id
        ORDER SIBLINGS BY last_name""",
        "hr.org_chart",
        {
            "employee_id": q(E, "employee_id"),
            "full_name": q(E, "first_name", "last_name"),
            "manager_id": q(E, "manager_id"),
            "depth": set(),
            "path": q(E, "last_name"),
        },
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle DECODE, NVL, NVL2, TO_CHAR",
        """CREATE TABLE hr.emp_grades AS
        SELECT employee_id,
               DECODE(job_id, 'AD_PRES', 'A', 'AD_VP', 'B', 'C') AS grade,
               NVL(commission_pct, 0) * salary AS commission,
               TO_CHAR(hire_date, 'YYYY') AS hire_year,
               DECODE(department_id, 90, salary * 1.1, salary) AS adjusted_salary,
               NVL2(manager_id, 'N', 'Y') AS is_top
        FROM hr.employees""",
        "hr.emp_grades",
        {
            "employee_id": q(E, "employee_id"),
            "grade": set(),  # job_id only picks the constant
            "commission": q(E, "commission_pct", "salary"),
            "hire_year": q(E, "hire_date"),
            "adjusted_salary": q(E, "salary"),
            "is_top": set(),  # manager_id only picks the constant
        },
        indirect=q(E, "job_id", "department_id", "manager_id"),
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle || and a correlated scalar subquery in the SELECT list",
        """INSERT INTO hr.dept_labels (department_id, label, headcount)
        SELECT d.department_id, d.department_name || ' (' || l.city || ')',
               (SELECT COUNT(*) FROM hr.employees e WHERE e.department_id = d.department_id)
        FROM hr.departments d JOIN hr.locations l ON l.location_id = d.location_id""",
        "hr.dept_labels",
        {
            "department_id": q(DEP, "department_id"),
            "label": q(DEP, "department_name") | q(LOC, "city"),
            "headcount": set(),
        },
        indirect=q(LOC, "location_id"),
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle (+) outer join in WHERE",
        """CREATE VIEW hr.emp_dept AS
        SELECT e.employee_id, e.last_name, d.department_name, j.job_title
        FROM hr.employees e, hr.departments d, hr.jobs j
        WHERE e.department_id = d.department_id(+) AND e.job_id = j.job_id""",
        "hr.emp_dept",
        {
            "employee_id": q(E, "employee_id"),
            "last_name": q(E, "last_name"),
            "department_name": q(DEP, "department_name"),
            "job_title": q(J, "job_title"),
        },
        indirect=q(E, "department_id", "job_id") | q(DEP, "department_id"),
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle KEEP (DENSE_RANK FIRST ORDER BY ...)",
        """INSERT INTO hr.dept_pay (department_id, first_hire_salary, top_salary, avg_salary)
        SELECT department_id, MIN(salary) KEEP (DENSE_RANK FIRST ORDER BY hire_date),
               MAX(salary), ROUND(AVG(salary), 2)
        FROM hr.employees
        GROUP BY department_id""",
        "hr.dept_pay",
        {
            "department_id": q(E, "department_id"),
            "first_hire_salary": q(E, "salary"),
            "top_salary": q(E, "salary"),
            "avg_salary": q(E, "salary"),
        },
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle MERGE from a join (MONTHS_BETWEEN, SYSDATE)",
        """MERGE INTO hr.job_tenure t
        USING (SELECT e.employee_id, j.job_title, MONTHS_BETWEEN(SYSDATE, e.hire_date) AS months
               FROM hr.employees e JOIN hr.jobs j ON j.job_id = e.job_id) s
        ON (t.employee_id = s.employee_id)
        WHEN MATCHED THEN UPDATE SET t.job_title = s.job_title, t.months = s.months
        WHEN NOT MATCHED THEN INSERT (employee_id, job_title, months)
          VALUES (s.employee_id, s.job_title, s.months)""",
        "hr.job_tenure",
        {
            "employee_id": q(E, "employee_id"),
            "job_title": q(J, "job_title"),
            "months": q(E, "hire_date"),
        },
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle inline view without alias, RANK window, ||",
        """CREATE TABLE hr.top_earners AS
        SELECT * FROM (
          SELECT e.employee_id, e.first_name || ' ' || e.last_name AS name, e.salary,
                 RANK() OVER (PARTITION BY e.department_id ORDER BY e.salary DESC) AS pay_rank
          FROM hr.employees e)
        WHERE pay_rank <= 3""",
        "hr.top_earners",
        {
            "employee_id": q(E, "employee_id"),
            "name": q(E, "first_name", "last_name"),
            "salary": q(E, "salary"),
            "pay_rank": set(),
        },
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle LISTAGG ... WITHIN GROUP, CREATE OR REPLACE VIEW",
        """CREATE OR REPLACE VIEW hr.dept_staff AS
        SELECT d.department_name,
               LISTAGG(e.last_name, ', ') WITHIN GROUP (ORDER BY e.hire_date) AS staff,
               COUNT(e.employee_id) AS n
        FROM hr.departments d JOIN hr.employees e ON e.department_id = d.department_id
        GROUP BY d.department_name""",
        "hr.dept_staff",
        {
            "department_name": q(DEP, "department_name"),
            "staff": q(E, "last_name"),  # hire_date only orders the list
            "n": q(E, "employee_id"),
        },
        indirect=q(E, "department_id"),
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle UPDATE SET (a, b) = (correlated subquery)",
        """UPDATE hr.dept_summary ds
        SET (total_salary, max_salary) = (SELECT SUM(e.salary), MAX(e.salary)
                                          FROM hr.employees e
                                          WHERE e.department_id = ds.department_id)""",
        "hr.dept_summary",
        {"department_id": set(), "total_salary": q(E, "salary"), "max_salary": q(E, "salary")},
        dialects=(Dialect.ORACLE,),
    ),
    Case(
        "oracle INSERT ALL into two tables",
        """INSERT ALL
          INTO hr.high_earners (employee_id, salary) VALUES (employee_id, salary)
          INTO hr.emp_contacts (employee_id, email) VALUES (employee_id, email)
        SELECT employee_id, salary, email FROM hr.employees WHERE salary > 10000""",
        "hr.high_earners",
        {
            "hr.high_earners.employee_id": q(E, "employee_id"),
            "hr.high_earners.salary": q(E, "salary"),
            "hr.emp_contacts.employee_id": q(E, "employee_id"),
            "hr.emp_contacts.email": q(E, "email"),
        },
        indirect=q(E, "salary"),
        dialects=(Dialect.ORACLE,),
        gap="a statement writing several tables is not analysed: reported as not analysed "
        "(at its start), with one INSERT ... SELECT per table as the way round",
    ),
    Case(
        "oracle PIVOT",
        """CREATE TABLE hr.dept_job_counts AS
        SELECT * FROM (SELECT department_id, job_id FROM hr.employees)
        PIVOT (COUNT(*) FOR job_id IN ('IT_PROG' AS it_prog, 'SA_REP' AS sa_rep))""",
        "hr.dept_job_counts",
        {"department_id": q(E, "department_id"), "it_prog": set(), "sa_rep": set()},
        dialects=(Dialect.ORACLE,),
    ),
]

POSTGRES = [
    Case(
        "postgres UPDATE ... FROM an aggregating subquery",
        """UPDATE mart.customer_stats s
        SET order_count = t.n, lifetime_value = t.total
        FROM (SELECT customer_id, COUNT(*) AS n, SUM(total) AS total
              FROM shop.orders WHERE status = 'paid' GROUP BY customer_id) t
        WHERE t.customer_id = s.customer_id""",
        "mart.customer_stats",
        {"customer_id": set(), "order_count": set(), "lifetime_value": q(SO, "total")},
        indirect=q(SO, "status", "customer_id"),
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres INSERT ... ON CONFLICT DO UPDATE (EXCLUDED)",
        """INSERT INTO mart.product_sales (product_id, units, revenue, updated_at)
        SELECT i.product_id, SUM(i.quantity), SUM(i.quantity * i.unit_price), now()
        FROM shop.order_items i JOIN shop.orders o ON o.id = i.order_id
        WHERE o.status = 'paid'
        GROUP BY i.product_id
        ON CONFLICT (product_id) DO UPDATE
          SET units = EXCLUDED.units, revenue = EXCLUDED.revenue,
              updated_at = EXCLUDED.updated_at""",
        "mart.product_sales",
        {
            "product_id": q(SI, "product_id"),
            "units": q(SI, "quantity"),
            "revenue": q(SI, "quantity", "unit_price"),
            "updated_at": set(),
        },
        indirect=q(SO, "status", "id") | q(SI, "order_id"),
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres DISTINCT ON",
        """CREATE VIEW mart.latest_orders AS
        SELECT DISTINCT ON (o.customer_id) o.customer_id, o.id AS order_id, o.total,
               o.created_at
        FROM shop.orders o
        ORDER BY o.customer_id, o.created_at DESC""",
        "mart.latest_orders",
        {
            "customer_id": q(SO, "customer_id"),
            "order_id": q(SO, "id"),
            "total": q(SO, "total"),
            "created_at": q(SO, "created_at"),
        },
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres CROSS JOIN LATERAL (top product per customer)",
        """INSERT INTO mart.top_products (customer_id, product_name, spent)
        SELECT c.id, top.name, top.spent
        FROM shop.customers c
        CROSS JOIN LATERAL (
          SELECT p.name, SUM(i.quantity * i.unit_price) AS spent
          FROM shop.orders o
          JOIN shop.order_items i ON i.order_id = o.id
          JOIN shop.products p ON p.id = i.product_id
          WHERE o.customer_id = c.id
          GROUP BY p.name
          ORDER BY spent DESC
          LIMIT 1) AS top""",
        "mart.top_products",
        {
            "customer_id": q(SC, "id"),
            "product_name": q(SP, "name"),
            "spent": q(SI, "quantity", "unit_price"),
        },
        indirect=q(SO, "customer_id"),
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres :: casts, FILTER (WHERE), string_agg ORDER BY, GROUP BY ordinal",
        """CREATE TABLE mart.daily_orders AS
        SELECT o.created_at::date AS day,
               COUNT(*) FILTER (WHERE o.status = 'paid') AS paid_orders,
               SUM(o.total)::numeric(12, 2) AS revenue,
               string_agg(DISTINCT c.country, ', ' ORDER BY c.country) AS countries
        FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id
        GROUP BY 1""",
        "mart.daily_orders",
        {
            "day": q(SO, "created_at"),
            "paid_orders": set(),  # status only decides which rows are counted
            "revenue": q(SO, "total"),
            "countries": q(SC, "country"),
        },
        indirect=q(SO, "status", "customer_id"),
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres WITH before INSERT, jsonb ->>",
        """WITH parsed AS (
          SELECT e.customer_id, (e.payload ->> 'amount')::numeric AS amount,
                 e.payload ->> 'currency' AS currency, e.received_at
          FROM shop.events e
          WHERE e.payload ->> 'amount' IS NOT NULL)
        INSERT INTO mart.event_amounts (customer_id, amount, currency, received_on)
        SELECT customer_id, amount, upper(currency), received_at::date FROM parsed""",
        "mart.event_amounts",
        {
            "customer_id": q(SE, "customer_id"),
            "amount": q(SE, "payload"),
            "currency": q(SE, "payload"),
            "received_on": q(SE, "received_at"),
        },
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres generate_series table function, LEFT JOIN",
        """INSERT INTO mart.daily_revenue (day, revenue)
        SELECT d::date, COALESCE(SUM(o.total), 0)
        FROM generate_series(DATE '2026-01-01', DATE '2026-12-31', INTERVAL '1 day') AS d
        LEFT JOIN shop.orders o ON o.created_at::date = d::date
        GROUP BY 1""",
        "mart.daily_revenue",
        {"day": set(), "revenue": q(SO, "total")},
        indirect=q(SO, "created_at"),
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres UPDATE ... FROM a rule table (the target's own column on the right)",
        """UPDATE shop.products p
        SET price = round(p.price * (1 + r.pct / 100.0), 2)
        FROM shop.price_rules r
        WHERE r.category = p.category""",
        "shop.products",
        # price's own old value feeds it too; a column is never its own upstream.
        {"price": q("shop.price_rules", "pct")},
        indirect=q("shop.price_rules", "category"),
        dialects=(Dialect.POSTGRES,),
    ),
]

POSTGRES += [
    Case(
        "postgres UPDATE ... FROM ... RETURNING",
        """UPDATE mart.customer_stats s SET last_order_at = o.created_at
        FROM shop.orders o
        WHERE o.customer_id = s.customer_id AND o.status = 'paid'
        RETURNING s.customer_id, s.last_order_at""",
        "mart.customer_stats",
        {"customer_id": set(), "last_order_at": q(SO, "created_at")},
        indirect=q(SO, "customer_id", "status"),
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres SELECT ... INTO a new table",
        """SELECT C.ID, LOWER(C.Email) AS email INTO MART.German_Customers
        FROM shop.customers c WHERE c.country = 'DE'""",
        "mart.german_customers",
        {"id": q(SC, "id"), "email": q(SC, "email")},
        indirect=q(SC, "country"),
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres CREATE MATERIALIZED VIEW",
        """CREATE MATERIALIZED VIEW mart.category_sales AS
        SELECT p.category, SUM(i.quantity * i.unit_price) AS revenue
        FROM shop.order_items i JOIN shop.products p ON p.id = i.product_id
        GROUP BY p.category""",
        "mart.category_sales",
        {"category": q(SP, "category"), "revenue": q(SI, "quantity", "unit_price")},
        indirect=q(SI, "product_id"),
        dialects=(Dialect.POSTGRES,),
    ),
    Case(
        "postgres LATERAL unnest (a table function over a column)",
        """INSERT INTO mart.order_tags (order_id, tag)
        SELECT o.id, t.tag
        FROM shop.orders o CROSS JOIN LATERAL unnest(string_to_array(o.status, ',')) AS t (tag)""",
        "mart.order_tags",
        {"order_id": q(SO, "id"), "tag": q(SO, "status")},
        dialects=(Dialect.POSTGRES,),
    ),
]

MYSQL = [
    Case(
        "mysql backticks, CONCAT",
        """INSERT INTO `report`.`customer_spend` (`customer_id`, `full_name`, `total`)
        SELECT c.`customer_id`, CONCAT(c.`first_name`, ' ', c.`last_name`), SUM(p.`amount`)
        FROM `sakila`.`customer` c JOIN `sakila`.`payment` p ON p.`customer_id` = c.`customer_id`
        GROUP BY c.`customer_id`""",
        "report.customer_spend",
        {
            "customer_id": q(KC, "customer_id"),
            "full_name": q(KC, "first_name", "last_name"),
            "total": q(KP, "amount"),
        },
        indirect=q(KP, "customer_id"),
        dialects=(Dialect.MYSQL,),
    ),
    Case(
        "mysql multi-table UPDATE ... JOIN a derived table",
        """UPDATE report.customer_spend cs
        JOIN (SELECT customer_id, SUM(amount) AS total, MAX(payment_date) AS last_paid
              FROM sakila.payment GROUP BY customer_id) p ON p.customer_id = cs.customer_id
        SET cs.total = p.total, cs.last_paid = p.last_paid""",
        "report.customer_spend",
        {"total": q(KP, "amount"), "last_paid": q(KP, "payment_date")},
        indirect=q(KP, "customer_id"),
        dialects=(Dialect.MYSQL,),
    ),
    Case(
        "mysql multi-table UPDATE with a comma join",
        """UPDATE report.film_stats fs, sakila.film f
        SET fs.title = UPPER(f.title), fs.rental_rate = f.rental_rate
        WHERE f.film_id = fs.film_id""",
        "report.film_stats",
        {"film_id": set(), "title": q(KF, "title"), "rental_rate": q(KF, "rental_rate")},
        indirect=q(KF, "film_id"),
        dialects=(Dialect.MYSQL,),
    ),
    Case(
        "mysql multi-table UPDATE ... JOIN setting columns of two tables",
        """UPDATE report.customer_spend cs
        JOIN report.customer_contact cc ON cc.customer_id = cs.customer_id
        JOIN sakila.customer c ON c.customer_id = cs.customer_id
        SET cs.full_name = CONCAT(c.first_name, ' ', c.last_name), cc.email = c.email""",
        "report.customer_spend",
        {
            "report.customer_spend.full_name": q(KC, "first_name", "last_name"),
            "report.customer_contact.email": q(KC, "email"),
        },
        dialects=(Dialect.MYSQL,),
        gap="an UPDATE is read as writing its first table only: the SET of the second "
        "table's column (cc.email) is reported as not traced, with the way round",
    ),
    Case(
        "mysql INSERT ... ON DUPLICATE KEY UPDATE (VALUES())",
        """INSERT INTO report.film_rentals (film_id, rentals, last_rented)
        SELECT i.film_id, COUNT(*), MAX(r.rental_date)
        FROM sakila.rental r JOIN sakila.inventory i ON i.inventory_id = r.inventory_id
        GROUP BY i.film_id
        ON DUPLICATE KEY UPDATE rentals = VALUES(rentals), last_rented = VALUES(last_rented)""",
        "report.film_rentals",
        {"film_id": q(KI, "film_id"), "rentals": set(), "last_rented": q(KR, "rental_date")},
        indirect=q(KR, "inventory_id"),
        dialects=(Dialect.MYSQL,),
    ),
    Case(
        "mysql IFNULL, CONCAT_WS, IF, DATE_FORMAT",
        """CREATE TABLE report.customer_contact AS
        SELECT customer_id, CONCAT_WS(' ', first_name, last_name) AS name,
               IFNULL(email, 'none') AS email, IF(active = 1, 'yes', 'no') AS active_label,
               DATE_FORMAT(create_date, '%Y-%m') AS cohort
        FROM sakila.customer""",
        "report.customer_contact",
        {
            "customer_id": q(KC, "customer_id"),
            "name": q(KC, "first_name", "last_name"),
            "email": q(KC, "email"),
            "active_label": set(),  # active only picks the constant
            "cohort": q(KC, "create_date"),
        },
        indirect=q(KC, "active"),
        dialects=(Dialect.MYSQL,),
    ),
    Case(
        "mysql GROUP_CONCAT ... ORDER BY ... SEPARATOR",
        """CREATE VIEW report.film_categories AS
        SELECT f.film_id, f.title, GROUP_CONCAT(c.name ORDER BY c.name SEPARATOR ', ')
                 AS categories
        FROM sakila.film f
        JOIN sakila.film_category fc ON fc.film_id = f.film_id
        JOIN sakila.category c ON c.category_id = fc.category_id
        GROUP BY f.film_id, f.title""",
        "report.film_categories",
        {
            "film_id": q(KF, "film_id"),
            "title": q(KF, "title"),
            "categories": q("sakila.category", "name"),
        },
        indirect=q("sakila.film_category", "film_id", "category_id"),
        dialects=(Dialect.MYSQL,),
    ),
    Case(
        "mysql REPLACE INTO ... SELECT",
        """REPLACE INTO report.customer_city (customer_id, city, country)
        SELECT cu.customer_id, ci.city, co.country
        FROM sakila.customer cu
        JOIN sakila.address a ON a.address_id = cu.address_id
        JOIN sakila.city ci ON ci.city_id = a.city_id
        JOIN sakila.country co ON co.country_id = ci.country_id""",
        "report.customer_city",
        {
            "customer_id": q(KC, "customer_id"),
            "city": q("sakila.city", "city"),
            "country": q("sakila.country", "country"),
        },
        indirect=q("sakila.address", "address_id", "city_id"),
        dialects=(Dialect.MYSQL,),
    ),
    Case(
        "mysql INSERT IGNORE, DATEDIFF",
        """INSERT IGNORE INTO report.late_returns (rental_id, customer_id, days_late)
        SELECT r.rental_id, r.customer_id, DATEDIFF(r.return_date, r.rental_date) - f.rental_duration
        FROM sakila.rental r
        JOIN sakila.inventory i ON i.inventory_id = r.inventory_id
        JOIN sakila.film f ON f.film_id = i.film_id
        WHERE r.return_date IS NOT NULL
          AND DATEDIFF(r.return_date, r.rental_date) > f.rental_duration""",
        "report.late_returns",
        {
            "rental_id": q(KR, "rental_id"),
            "customer_id": q(KR, "customer_id"),
            "days_late": q(KR, "return_date", "rental_date") | q(KF, "rental_duration"),
        },
        indirect=q(KI, "film_id"),
        dialects=(Dialect.MYSQL,),
    ),
]

MYSQL += [
    Case(
        "mysql index hint and STRAIGHT_JOIN",
        """INSERT INTO report.rental_customers (rental_id, email)
        SELECT r.rental_id, LOWER(c.email)
        FROM sakila.rental r FORCE INDEX (idx_fk_customer_id)
        STRAIGHT_JOIN sakila.customer c ON c.customer_id = r.customer_id""",
        "report.rental_customers",
        {"rental_id": q(KR, "rental_id"), "email": q(KC, "email")},
        indirect=q(KR, "customer_id"),
        dialects=(Dialect.MYSQL,),
    ),
    Case(
        "mysql CREATE TABLE ... SELECT (no AS)",
        """CREATE TABLE report.active_customers
        SELECT customer_id, email FROM sakila.customer WHERE active = 1""",
        "report.active_customers",
        {"customer_id": q(KC, "customer_id"), "email": q(KC, "email")},
        indirect=q(KC, "active"),
        dialects=(Dialect.MYSQL,),
    ),
]

GENERIC = [
    Case(
        "ansi FULL OUTER JOIN of two aggregates, COALESCE",
        """INSERT INTO res.nation_counts (n_nationkey, suppliers, customers)
        SELECT COALESCE(s.n, c.n), COALESCE(s.cnt, 0), COALESCE(c.cnt, 0)
        FROM (SELECT s_nationkey AS n, COUNT(*) AS cnt FROM tpch.supplier
              GROUP BY s_nationkey) s
        FULL OUTER JOIN (SELECT c_nationkey AS n, COUNT(*) AS cnt FROM tpch.customer
                         GROUP BY c_nationkey) c
          ON s.n = c.n""",
        "res.nation_counts",
        {
            "n_nationkey": q(TS, "s_nationkey") | q(TC, "c_nationkey"),
            "suppliers": set(),
            "customers": set(),
        },
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi EXCEPT (the right side only removes rows)",
        """INSERT INTO res.idle_customers (c_custkey)
        SELECT c_custkey FROM tpch.customer
        EXCEPT
        SELECT o_custkey FROM tpch.orders""",
        "res.idle_customers",
        {"c_custkey": q(TC, "c_custkey")},
        indirect=q(TO, "o_custkey"),
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi INTERSECT",
        """CREATE TABLE res.buying_suppliers_nations AS
        SELECT s_nationkey AS n_nationkey FROM tpch.supplier
        INTERSECT
        SELECT c_nationkey FROM tpch.customer""",
        "res.buying_suppliers_nations",
        {"n_nationkey": q(TS, "s_nationkey") | q(TC, "c_nationkey")},
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi WITH RECURSIVE (management chain)",
        """INSERT INTO res.emp_depth (employee_id, manager_id, depth)
        WITH RECURSIVE chain (employee_id, manager_id, depth) AS (
          SELECT employee_id, manager_id, 1 FROM hr.employees WHERE manager_id IS NULL
          UNION ALL
          SELECT e.employee_id, e.manager_id, c.depth + 1
          FROM hr.employees e JOIN chain c ON e.manager_id = c.employee_id)
        SELECT employee_id, manager_id, depth FROM chain""",
        "res.emp_depth",
        {
            "employee_id": q(E, "employee_id"),
            "manager_id": q(E, "manager_id"),
            "depth": set(),
        },
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi window frames, LAG, NTILE",
        """CREATE TABLE res.order_running AS
        SELECT o_custkey, o_orderdate, o_totalprice,
               SUM(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_orderdate
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                 AS running_total,
               o_totalprice - LAG(o_totalprice) OVER (PARTITION BY o_custkey
                                                      ORDER BY o_orderdate) AS change,
               NTILE(4) OVER (ORDER BY o_totalprice) AS quartile
        FROM tpch.orders""",
        "res.order_running",
        {
            "o_custkey": q(TO, "o_custkey"),
            "o_orderdate": q(TO, "o_orderdate"),
            "o_totalprice": q(TO, "o_totalprice"),
            "running_total": q(TO, "o_totalprice"),
            "change": q(TO, "o_totalprice"),
            "quartile": set(),  # o_totalprice only orders the tiles
        },
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi scalar subqueries in the SELECT list, CAST, NULLIF",
        """INSERT INTO res.part_price_ratio (p_partkey, p_name, ratio, cheapest)
        SELECT p.p_partkey, UPPER(p.p_name),
               CAST(p.p_retailprice AS DECIMAL(12, 2))
                 / NULLIF((SELECT AVG(p2.p_retailprice) FROM tpch.part p2
                           WHERE p2.p_size = p.p_size), 0),
               (SELECT MIN(ps.ps_supplycost) FROM tpch.partsupp ps
                WHERE ps.ps_partkey = p.p_partkey)
        FROM tpch.part p""",
        "res.part_price_ratio",
        {
            "p_partkey": q(TP, "p_partkey"),
            "p_name": q(TP, "p_name"),
            "ratio": q(TP, "p_retailprice"),
            "cheapest": q(TPS, "ps_supplycost"),
        },
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi GROUPING SETS",
        """CREATE TABLE res.revenue_sets AS
        SELECT n_name, EXTRACT(YEAR FROM o_orderdate) AS o_year, SUM(o_totalprice) AS revenue
        FROM tpch.orders JOIN tpch.customer ON c_custkey = o_custkey
        JOIN tpch.nation ON n_nationkey = c_nationkey
        GROUP BY GROUPING SETS ((n_name, EXTRACT(YEAR FROM o_orderdate)), (n_name), ())""",
        "res.revenue_sets",
        {
            "n_name": q("tpch.nation", "n_name"),
            "o_year": q(TO, "o_orderdate"),
            "revenue": q(TO, "o_totalprice"),
        },
        indirect=q(TC, "c_custkey", "c_nationkey"),
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi join to a VALUES list",
        """INSERT INTO res.segment_labels (c_custkey, label)
        SELECT c.c_custkey, v.label
        FROM tpch.customer c
        JOIN (VALUES ('BUILDING', 'construction'), ('AUTOMOBILE', 'cars')) AS v (segment, label)
          ON v.segment = c.c_mktsegment""",
        "res.segment_labels",
        {"c_custkey": q(TC, "c_custkey"), "label": set()},
        indirect=q(TC, "c_mktsegment"),
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi simple CASE and searched CASE with constant results",
        """CREATE VIEW res.order_status (o_orderkey, status_label, priority_rank) AS
        SELECT o_orderkey,
               CASE o_orderstatus WHEN 'F' THEN 'finished' WHEN 'O' THEN 'open'
                    ELSE 'partial' END,
               CASE WHEN o_orderpriority LIKE '1%' THEN 1 ELSE 2 END
        FROM tpch.orders""",
        "res.order_status",
        {"o_orderkey": q(TO, "o_orderkey"), "status_label": set(), "priority_rank": set()},
        indirect=q(TO, "o_orderstatus", "o_orderpriority"),
        dialects=(Dialect.GENERIC,),
    ),
]

GENERIC += [
    Case(
        "ansi CREATE TABLE with column definitions AS",
        """CREATE TABLE res.part_names (p_partkey INTEGER, p_name VARCHAR(55)) AS
        SELECT p_partkey, TRIM(p_name) FROM tpch.part WHERE p_size > 10""",
        "res.part_names",
        {"p_partkey": q(TP, "p_partkey"), "p_name": q(TP, "p_name")},
        indirect=q(TP, "p_size"),
        dialects=(Dialect.GENERIC,),
    ),
    Case(
        "ansi CTE over a CTE, UNION, ORDER BY and FETCH FIRST",
        """INSERT INTO res.top_accounts (name, balance, kind)
        WITH suppliers AS (SELECT s_name AS name, s_acctbal AS balance FROM tpch.supplier),
             customers AS (SELECT c_name AS name, c_acctbal AS balance FROM tpch.customer),
             both_kinds AS (SELECT name, balance, 'supplier' AS kind FROM suppliers
                            UNION
                            SELECT name, balance, 'customer' FROM customers)
        SELECT name, balance, kind FROM both_kinds
        ORDER BY balance DESC
        FETCH FIRST 10 ROWS ONLY""",
        "res.top_accounts",
        {
            "name": q(TS, "s_name") | q(TC, "c_name"),
            "balance": q(TS, "s_acctbal") | q(TC, "c_acctbal"),
            "kind": set(),
        },
        dialects=(Dialect.GENERIC,),
    ),
]

CASES = COMMON + ORACLE + POSTGRES + MYSQL + GENERIC
