"""The per-statement time limit (graph_api/sql_lineage/deadline.py): it stops a statement that
runs too long, and a statement that finished in time leaves nothing behind for the code after."""

from __future__ import annotations

import time

from graph_api.sql_lineage import Dialect, propose
from tests.sql_lineage.test_parser import CATALOG


def test_a_statement_done_in_time_leaves_no_limit_behind() -> None:
    found = propose(
        "INSERT INTO mart.v_orders SELECT id, amount FROM sales.orders",
        dialect=Dialect.GENERIC,
        catalog=CATALOG,
        time_limit_seconds=1.0,
    )
    assert found.unparsed == [] and [s.kind for s in found.statements] == ["INSERT"]
    # Python work past the limit: a limit still armed would stop it here.
    until, spins = time.monotonic() + 2.5, 0
    while time.monotonic() < until:
        spins += sum(range(100))
    assert spins > 0


def test_each_statement_of_a_script_gets_its_own_limit() -> None:
    # The slow statement would take far longer than the limit, the quick ones far less, so a
    # loaded machine changes neither outcome.
    # 20,000 traced output columns: about a minute of work and no deep recursion.
    wide = ", ".join(f"amount + {i} AS c{i}" for i in range(20_000))
    quick = "INSERT INTO mart.v_orders SELECT id, amount FROM sales.orders"
    found = propose(
        f"{quick};\nCREATE TABLE mart.wide AS SELECT {wide} FROM sales.orders;\n{quick}",
        dialect=Dialect.GENERIC,
        catalog=CATALOG,
        time_limit_seconds=2.0,
    )
    assert [s.kind for s in found.statements] == ["INSERT", "UNPARSED", "INSERT"]
    [unparsed] = found.unparsed
    assert unparsed.statement == 1 and "took longer than 2 s" in unparsed.reason


def test_a_statement_too_deep_to_analyse_is_reported_and_the_rest_still_traced() -> None:
    # Nesting past Python's stack, whatever the machine's speed.
    deep = "SELECT " + "(" * 5000 + "id" + ")" * 5000 + " AS id FROM sales.orders"
    quick = "INSERT INTO mart.v_orders SELECT id, amount FROM sales.orders"
    found = propose(
        f"INSERT INTO mart.v_orders (id) {deep};\n{quick}",
        dialect=Dialect.GENERIC,
        catalog=CATALOG,
        time_limit_seconds=30.0,
    )
    assert [s.kind for s in found.statements] == ["UNPARSED", "INSERT"]
    [unparsed] = found.unparsed
    assert unparsed.statement == 0 and "split it into smaller statements" in unparsed.reason
