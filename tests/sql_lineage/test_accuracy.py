"""Accuracy of SQL lineage on the corpus (tests/sql_lineage/corpus.py), per dialect: at least
95% of the expected field edges found, at most 2% of those proposed wrong. The README's table
is this test's output (pytest -s)."""

from __future__ import annotations

import pytest

from graph_api.models import TransformationType as T
from graph_api.sql_lineage import Catalog, CatalogField, CatalogTable, Dialect, propose
from tests.sql_lineage.corpus import CASES, RAW, TPCDS, TPCH, Case, result_tables

VALUE_KINDS = {T.DIRECT, T.COPY, T.ETL, T.AGGREGATION}


def catalog() -> Catalog:
    tables = []
    groups = {"tpch": TPCH, "tpcds": TPCDS, "raw": RAW}
    specs = [(s, t, c) for s, g in groups.items() for t, c in g.items()]
    specs += [(*target.split("."), columns) for target, columns in result_tables().items()]
    for schema, name, columns in specs:
        tables.append(
            CatalogTable(
                id=f"{schema}.{name}",
                schema=schema,
                name=name,
                fields=tuple(CatalogField(id=f"{schema}.{name}.{c}", name=c) for c in columns),
            )
        )
    return Catalog(tables)


def expected_edges(case: Case) -> set[tuple[str, str]]:
    return {(up, f"{case.target}.{down}") for down, ups in case.expected.items() for up in ups}


def score(dialect: Dialect) -> tuple[int, int, int, list[str]]:
    """Expected edges, found, wrong (proposed value edges not expected), and what was off."""
    expected_total = found_total = wrong_total = 0
    notes: list[str] = []
    known = catalog()
    for case in CASES:
        proposal = propose(case.sql, dialect=dialect, catalog=known, include_indirect=True)
        value = {
            (e.upstream_id, e.downstream_id)
            for e in proposal.field_edges
            if e.transformation in VALUE_KINDS
        }
        expected = expected_edges(case)
        expected_total += len(expected)
        found_total += len(expected & value)
        wrong_total += len(value - expected)
        if expected - value or value - expected or proposal.unparsed:
            notes.append(
                f"{case.name}: missing {sorted(expected - value)}, wrong {sorted(value - expected)}"
                f", unparsed {[u.reason for u in proposal.unparsed]}"
            )
        indirect = {e.upstream_id for e in proposal.field_edges} - {u for u, _ in value}
        if case.indirect - indirect - {u for u, _ in expected}:
            notes.append(f"{case.name}: indirect missing {sorted(case.indirect - indirect)}")
    return expected_total, found_total, wrong_total, notes


@pytest.mark.parametrize("dialect", list(Dialect), ids=[d.name for d in Dialect])
def test_accuracy_per_dialect(dialect: Dialect) -> None:
    expected, found, wrong, notes = score(dialect)
    proposed = found + wrong
    recall = found / expected
    wrong_share = wrong / proposed if proposed else 0.0
    print(
        f"| {dialect.name} | {len(CASES)} | {expected} | {found} ({recall:.1%}) "
        f"| {wrong} ({wrong_share:.1%}) |"
    )
    assert recall >= 0.95, "\n".join(notes)
    assert wrong_share <= 0.02, "\n".join(notes)
    assert not [n for n in notes if "indirect missing" in n], "\n".join(notes)
