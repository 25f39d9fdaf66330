"""dbt-style models as they reach the warehouse once compiled: a chain of CTEs (staging,
intermediate, final) ending in `SELECT * FROM final`, materialized as a table or a view.
The first two are the jaffle_shop project's customers and orders models (its payment-method
loop unrolled)."""

from __future__ import annotations

from tests.sql_lineage.corpus.base import Case, q

O, C, P = "raw.orders", "raw.customers", "raw.payments"  # noqa: E741
WEB, APP = "raw.web_events", "raw.app_events"

PIVOT_METHODS = ("credit_card", "coupon", "bank_transfer", "gift_card")
PIVOT = ",\n".join(
    f"SUM(CASE WHEN payment_method = '{m}' THEN amount ELSE 0 END) AS {m}_amount"
    for m in PIVOT_METHODS
)

CASES = [
    Case(
        "dbt jaffle_shop customers (five CTEs, two aggregating)",
        """CREATE TABLE analytics.customers AS
        WITH customers AS (
          SELECT id AS customer_id, first_name, last_name FROM raw.customers
        ), orders AS (
          SELECT id AS order_id, user_id AS customer_id, order_date, status FROM raw.orders
        ), payments AS (
          SELECT id AS payment_id, order_id, payment_method, amount / 100 AS amount
          FROM raw.payments
        ), customer_orders AS (
          SELECT customer_id, MIN(order_date) AS first_order,
                 MAX(order_date) AS most_recent_order, COUNT(order_id) AS number_of_orders
          FROM orders GROUP BY customer_id
        ), customer_payments AS (
          SELECT orders.customer_id, SUM(amount) AS total_amount
          FROM payments LEFT JOIN orders ON payments.order_id = orders.order_id
          GROUP BY orders.customer_id
        ), final AS (
          SELECT customers.customer_id, customers.first_name, customers.last_name,
                 customer_orders.first_order, customer_orders.most_recent_order,
                 customer_orders.number_of_orders,
                 customer_payments.total_amount AS customer_lifetime_value
          FROM customers
          LEFT JOIN customer_orders ON customers.customer_id = customer_orders.customer_id
          LEFT JOIN customer_payments ON customers.customer_id = customer_payments.customer_id
        )
        SELECT * FROM final""",
        "analytics.customers",
        {
            "customer_id": q(C, "id"),
            "first_name": q(C, "first_name"),
            "last_name": q(C, "last_name"),
            "first_order": q(O, "order_date"),
            "most_recent_order": q(O, "order_date"),
            "number_of_orders": q(O, "id"),
            "customer_lifetime_value": q(P, "amount"),
        },
        indirect=q(O, "user_id") | q(P, "order_id"),
    ),
    Case(
        "dbt jaffle_shop orders (payment-method pivot)",
        f"""CREATE TABLE analytics.orders AS
        WITH orders AS (
          SELECT id AS order_id, user_id AS customer_id, order_date, status FROM raw.orders
        ), payments AS (
          SELECT id AS payment_id, order_id, payment_method, amount / 100 AS amount
          FROM raw.payments
        ), order_payments AS (
          SELECT order_id,
          {PIVOT},
          SUM(amount) AS total_amount
          FROM payments GROUP BY order_id
        ), final AS (
          SELECT orders.order_id, orders.customer_id, orders.order_date, orders.status,
                 {", ".join(f"order_payments.{m}_amount" for m in PIVOT_METHODS)},
                 order_payments.total_amount AS amount
          FROM orders LEFT JOIN order_payments ON orders.order_id = order_payments.order_id
        )
        SELECT * FROM final""",
        "analytics.orders",
        {
            "order_id": q(O, "id"),
            "customer_id": q(O, "user_id"),
            "order_date": q(O, "order_date"),
            "status": q(O, "status"),
            **{f"{m}_amount": q(P, "amount") for m in PIVOT_METHODS},
            "amount": q(P, "amount"),
        },
        indirect=q(P, "payment_method", "order_id"),
    ),
    Case(
        "dbt customer orders (staging, payments pivot, final)",
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
            "order_id": q(O, "id"),
            "customer_id": q(O, "user_id"),
            "first_name": q(C, "first_name"),
            "last_name": q(C, "last_name"),
            "order_date": q(O, "order_date"),
            "status": q(O, "status"),
            "credit_card_amount": q(P, "amount"),
            "amount": q(P, "amount"),
        },
        indirect=q(C, "id") | q(P, "order_id"),
    ),
    Case(
        "dbt first orders (a window and a filter)",
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
            "customer_id": q(O, "user_id"),
            "first_order_date": q(O, "order_date"),
            "first_order_amount": q(O, "amount_cents"),
        },
        indirect=q(O, "status"),
    ),
    Case(
        "dbt events union and dedup (UNION ALL of renamed sources, SELECT * plus a window)",
        """CREATE TABLE analytics.events AS
        WITH unioned AS (
          SELECT event_id, user_id, event_type, occurred_at, 'web' AS source
          FROM raw.web_events
          UNION ALL
          SELECT id AS event_id, account_id AS user_id, kind AS event_type,
                 ts AS occurred_at, 'app' AS source
          FROM raw.app_events
        ), ranked AS (
          SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY occurred_at DESC) AS rn
          FROM unioned
        )
        SELECT event_id, user_id, event_type, occurred_at, source FROM ranked WHERE rn = 1""",
        "analytics.events",
        {
            "event_id": q(WEB, "event_id") | q(APP, "id"),
            "user_id": q(WEB, "user_id") | q(APP, "account_id"),
            "event_type": q(WEB, "event_type") | q(APP, "kind"),
            "occurred_at": q(WEB, "occurred_at") | q(APP, "ts"),
            "source": set(),
        },
    ),
    Case(
        "dbt sessions (LAG in a CASE condition, running SUM of a flag)",
        """CREATE TABLE analytics.sessions AS
        WITH events AS (
          SELECT user_id, occurred_at FROM raw.web_events
        ), gaps AS (
          SELECT user_id, occurred_at,
                 CASE WHEN LAG(occurred_at) OVER (PARTITION BY user_id ORDER BY occurred_at)
                           IS NULL
                        OR occurred_at - LAG(occurred_at)
                             OVER (PARTITION BY user_id ORDER BY occurred_at)
                           > INTERVAL '30' MINUTE
                      THEN 1 ELSE 0 END AS new_session
          FROM events
        ), numbered AS (
          SELECT user_id, occurred_at,
                 SUM(new_session) OVER (PARTITION BY user_id ORDER BY occurred_at
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                   AS session_number
          FROM gaps
        )
        SELECT user_id, session_number, MIN(occurred_at) AS session_start,
               MAX(occurred_at) AS session_end, COUNT(*) AS events
        FROM numbered
        GROUP BY user_id, session_number""",
        "analytics.sessions",
        {
            "user_id": q(WEB, "user_id"),
            "session_number": set(),  # a running count of CASE flags: no column's value
            "session_start": q(WEB, "occurred_at"),
            "session_end": q(WEB, "occurred_at"),
            "events": set(),
        },
    ),
    Case(
        "dbt customer history view (LEAD, COALESCE, a CASE flag)",
        """CREATE VIEW analytics.customer_history AS
        WITH changes AS (
          SELECT customer_id, email, plan, changed_at FROM raw.customer_changes
        ), versions AS (
          SELECT customer_id, email, plan, changed_at AS valid_from,
                 LEAD(changed_at) OVER (PARTITION BY customer_id ORDER BY changed_at)
                   AS valid_to
          FROM changes
        )
        SELECT customer_id, email, plan, valid_from,
               COALESCE(valid_to, CAST('9999-12-31' AS TIMESTAMP)) AS valid_to,
               CASE WHEN valid_to IS NULL THEN 1 ELSE 0 END AS is_current
        FROM versions""",
        "analytics.customer_history",
        {
            "customer_id": q("raw.customer_changes", "customer_id"),
            "email": q("raw.customer_changes", "email"),
            "plan": q("raw.customer_changes", "plan"),
            "valid_from": q("raw.customer_changes", "changed_at"),
            "valid_to": q("raw.customer_changes", "changed_at"),
            "is_current": set(),
        },
    ),
    Case(
        "dbt monthly revenue (filtered staging CTEs, GROUP BY ordinal)",
        """CREATE TABLE analytics.monthly_revenue AS
        WITH orders AS (
          SELECT id AS order_id, order_date, status FROM raw.orders
        ), payments AS (
          SELECT order_id, amount FROM raw.payments WHERE payment_method <> 'coupon'
        ), joined AS (
          SELECT o.order_id, o.order_date, p.amount
          FROM orders o JOIN payments p ON p.order_id = o.order_id
          WHERE o.status = 'completed'
        )
        SELECT EXTRACT(YEAR FROM order_date) * 100 + EXTRACT(MONTH FROM order_date) AS month,
               COUNT(DISTINCT order_id) AS orders, SUM(amount) / 100.0 AS revenue
        FROM joined
        GROUP BY 1""",
        "analytics.monthly_revenue",
        {
            "month": q(O, "order_date"),
            "orders": q(O, "id"),
            "revenue": q(P, "amount"),
        },
        indirect=q(P, "payment_method", "order_id") | q(O, "status"),
    ),
]
