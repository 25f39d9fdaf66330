"""Accuracy of SQL lineage on the corpus (tests/sql_lineage/corpus/), per dialect: at least
95% of the expected field edges found, at most 2% of those proposed wrong. The README's table
is this test's output (pytest -s); what each case got wrong is in the failure message."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from graph_api.models import TransformationType as T
from graph_api.sql_lineage import Catalog, CatalogField, CatalogTable, Dialect, propose
from tests.sql_lineage.corpus import CASES, SOURCES, Case, result_tables, written

VALUE_KINDS = {T.DIRECT, T.COPY, T.ETL, T.AGGREGATION}


def catalog() -> Catalog:
    specs = [(s, t, c) for s, tables in SOURCES.items() for t, c in tables.items()]
    specs += [(*target.split("."), columns) for target, columns in result_tables().items()]
    return Catalog(
        CatalogTable(
            id=f"{schema}.{name}",
            schema=schema,
            name=name,
            fields=tuple(CatalogField(id=f"{schema}.{name}.{c}", name=c) for c in columns),
        )
        for schema, name, columns in specs
    )


def expected_edges(case: Case) -> set[tuple[str, str]]:
    return {(up, written(case, down)) for down, ups in case.expected.items() for up in ups}


@dataclass
class Score:
    statements: int = 0
    expected: int = 0
    found: int = 0
    wrong: int = 0
    notes: list[str] = field(default_factory=list)  # what each case got wrong
    indirect_missing: list[str] = field(default_factory=list)  # cases not known as gaps
    gaps_right: list[str] = field(default_factory=list)  # marked as gaps, yet all right


def score(dialect: Dialect) -> Score:
    result = Score()
    known = catalog()
    for case in (c for c in CASES if dialect in c.dialects):
        proposal = propose(case.sql, dialect=dialect, catalog=known, include_indirect=True)
        value = {
            (e.upstream_id, e.downstream_id)
            for e in proposal.field_edges
            if e.transformation in VALUE_KINDS
        }
        expected = expected_edges(case)
        result.statements += 1
        result.expected += len(expected)
        result.found += len(expected & value)
        result.wrong += len(value - expected)
        indirect = {e.upstream_id for e in proposal.field_edges} - {u for u, _ in value}
        indirect_missing = case.indirect - indirect - {u for u, _ in expected}
        off = expected != value or proposal.unparsed or indirect_missing
        if off:
            result.notes.append(
                f"{case.name}{' [known gap: ' + case.gap + ']' if case.gap else ''}: "
                f"missing {sorted(expected - value)}, wrong {sorted(value - expected)}, "
                f"indirect missing {sorted(indirect_missing)}, "
                f"unparsed {[(u.reason, u.position.line, u.position.column) for u in proposal.unparsed]}"
            )
            if indirect_missing and not case.gap:
                result.indirect_missing.append(case.name)
        elif case.gap:
            result.gaps_right.append(case.name)
    return result


@pytest.mark.parametrize("dialect", list(Dialect), ids=[d.name for d in Dialect])
def test_accuracy_per_dialect(dialect: Dialect) -> None:
    s = score(dialect)
    proposed = s.found + s.wrong
    recall = s.found / s.expected
    wrong_share = s.wrong / proposed if proposed else 0.0
    print(
        f"| {dialect.name} | {s.statements} | {s.expected} | {s.found} ({recall:.1%}) "
        f"| {s.wrong} ({wrong_share:.1%}) |"
    )
    for note in s.notes:
        print(f"  {note}")
    report = "\n".join(s.notes)
    assert recall >= 0.95, report
    assert wrong_share <= 0.02, report
    assert not s.indirect_missing, report
    assert not s.gaps_right, f"marked as known gaps but now right: {s.gaps_right}"
