"""The scan rules as a table of cases: what the catalog holds, what the database reports, and
what is written (graph_api/scan_rules.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from graph_api.connectors.base import ColumnInfo, TableInfo
from graph_api.models import Field, Table, TableKind
from graph_api.scan_rules import (
    Marker,
    TableOutcome,
    diff_columns,
    fingerprint,
    missing_table_props,
    plan_table,
)

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
MARK = Marker(at=NOW, scan_id="scan-1")


def column(name: str, position: int, **kw: Any) -> ColumnInfo:
    return ColumnInfo(
        name=name, data_type=kw.pop("data_type", "integer"), ordinal_position=position, **kw
    )


def info(*columns: ColumnInfo, **kw: Any) -> TableInfo:
    return TableInfo(
        schema="s", name="t", kind=kw.pop("kind", TableKind.TABLE), columns=list(columns), **kw
    )


def stored_field(name: str, position: int, **kw: Any) -> Field:
    return Field(
        id=f"f-{name}",
        table_id="t1",
        name=name,
        data_type=kw.pop("data_type", "integer"),
        nullable=kw.pop("nullable", True),
        primary_key=kw.pop("primary_key", False),
        ordinal_position=position,
        description=kw.pop("description", None),
        created_at=NOW,
        updated_at=NOW,
        **kw,
    )


TABLE = Table(
    id="t1",
    name="t",
    schema="s",
    kind=TableKind.TABLE,
    description=None,
    source_id="src",
    created_at=NOW,
    updated_at=NOW,
)

A = column("a", 1)
FA = stored_field("a", 1)

CASES: list[tuple[str, TableInfo, Table | None, list[Field], dict[str, Any]]] = [
    (
        "a new table is created with its columns; a comment becomes the description",
        info(column("a", 1, comment="the key"), comment="a table"),
        None,
        [],
        {
            "outcome": TableOutcome.ADDED,
            "table_props": {"description": "a table", "comment": "a table", "kind": "TABLE"},
            "create_fields": [{"name": "a", "description": "the key", "comment": "the key"}],
        },
    ),
    (
        "nothing differs: nothing is written",
        info(A),
        TABLE,
        [FA],
        {"outcome": TableOutcome.UNCHANGED, "table_props": {}, "update_fields": []},
    ),
    (
        "a type, nullability and key change are written with before and after",
        info(column("a", 1, data_type="bigint", nullable=False, primary_key=True)),
        TABLE,
        [FA],
        {
            "outcome": TableOutcome.CHANGED,
            "update_fields": [
                ("a", {"data_type": "bigint", "nullable": False, "primary_key": True})
            ],
            "columns_changed": [
                (
                    "a",
                    {"dataType": "integer", "nullable": True, "primaryKey": False},
                    {"dataType": "bigint", "nullable": False, "primaryKey": True},
                )
            ],
        },
    ),
    (
        "a description someone wrote is kept when the comment changes",
        info(column("a", 1, comment="new comment")),
        TABLE,
        [stored_field("a", 1, description="written by a person", comment="old")],
        {"update_fields": [("a", {"comment": "new comment"})]},
    ),
    (
        "a comment fills an empty description only when the comment changed",
        info(column("a", 1, comment="the key")),
        TABLE,
        [stored_field("a", 1, comment=None)],
        {"update_fields": [("a", {"comment": "the key", "description": "the key"})]},
    ),
    (
        "a description someone cleared stays cleared while the comment is the same",
        info(column("a", 1, comment="the key")),
        TABLE,
        [stored_field("a", 1, comment="the key", description=None)],
        {"outcome": TableOutcome.UNCHANGED, "update_fields": []},
    ),
    (
        "a column the database dropped is marked missing, not deleted",
        info(A),
        TABLE,
        [FA, stored_field("b", 2)],
        {
            "outcome": TableOutcome.CHANGED,
            "update_fields": [("b", {"missing_since": NOW, "missing_scan_id": "scan-1"})],
            "columns_removed": ["b"],
        },
    ),
    (
        "a column already marked missing is left as it was",
        info(A),
        TABLE,
        [FA, stored_field("b", 2, missing_since=NOW, missing_scan_id="scan-0")],
        {"outcome": TableOutcome.UNCHANGED, "update_fields": [], "columns_removed": []},
    ),
    (
        "a column that comes back loses its mark",
        info(A),
        TABLE,
        [stored_field("a", 1, missing_since=NOW, missing_scan_id="scan-0")],
        {
            "outcome": TableOutcome.CHANGED,
            "update_fields": [("a", {"missing_since": None, "missing_scan_id": None})],
            "columns_changed": [("a", {"missing": True}, {"missing": False})],
        },
    ),
    (
        "a new column and a moved one",
        info(column("z", 1), column("a", 2)),
        TABLE,
        [FA],
        {
            "columns_added": ["z"],
            "update_fields": [("a", {"ordinal_position": 2})],
        },
    ),
    (
        "where positions follow from names, a moved position is no change",
        info(column("0", 1), column("a", 2), positions_from_names=True),
        TABLE,
        [FA],
        {"columns_added": ["0"], "update_fields": []},
    ),
    (
        "a view's kind, comment and definition follow the database",
        info(A, kind=TableKind.VIEW, definition="SELECT 1 AS a"),
        TABLE,
        [FA],
        {
            "outcome": TableOutcome.CHANGED,
            "table_props": {"kind": "VIEW", "definition": "SELECT 1 AS a"},
        },
    ),
    (
        "a table found again loses its missing mark",
        info(A),
        replace(TABLE, missing_since=NOW, missing_scan_id="scan-0"),
        [FA],
        {
            "outcome": TableOutcome.CHANGED,
            "table_props": {"missing_since": None, "missing_scan_id": None},
        },
    ),
]


@pytest.mark.parametrize(
    ("reported", "table", "fields", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule(
    reported: TableInfo, table: Table | None, fields: list[Field], expected: dict[str, Any]
) -> None:
    plan = plan_table(reported, table, fields, marker=MARK)
    if "outcome" in expected:
        assert plan.outcome is expected["outcome"]
    if "table_props" in expected:
        if table is None:
            assert expected["table_props"].items() <= plan.table_props.items()
        else:
            assert plan.table_props == expected["table_props"]
    if "create_fields" in expected:
        for wanted, got in zip(expected["create_fields"], plan.create_fields, strict=True):
            assert wanted.items() <= got.items()
    if "update_fields" in expected:
        assert [(f.name, props) for f, props in plan.update_fields] == expected["update_fields"]
    if "columns_changed" in expected:
        assert [(c.name, c.before, c.after) for c in plan.columns_changed] == expected[
            "columns_changed"
        ]
    for key in ("columns_added", "columns_removed"):
        if key in expected:
            assert getattr(plan, key) == expected[key]
    assert plan.writes is (plan.outcome is not TableOutcome.UNCHANGED)


def test_a_missing_table_is_marked_once() -> None:
    assert missing_table_props(TABLE, MARK) == {"missing_since": NOW, "missing_scan_id": "scan-1"}
    assert missing_table_props(replace(TABLE, missing_since=NOW), MARK) is None


def test_fetch_columns_shows_the_same_differences() -> None:
    reported = info(column("a", 1, data_type="bigint"), column("c", 2))
    added, removed, changed = diff_columns(reported, [FA, stored_field("b", 2)])
    assert (added, removed) == (["c"], ["b"])
    assert [(d.name, d.changes) for d in changed] == [("a", {"dataType": ("integer", "bigint")})]


BASE = info(column("id", 1, primary_key=True, nullable=False), column("name", 2, data_type="text"))


@pytest.mark.parametrize(
    ("reported", "same"),
    [
        pytest.param(BASE, True, id="the same table"),
        pytest.param(
            info(
                column("name", 2, data_type="text"),
                column("id", 1, primary_key=True, nullable=False),
            ),
            True,
            id="columns listed in another order",
        ),
        pytest.param(
            info(
                column("id", 1, primary_key=True, nullable=False),
                column("name", 2, data_type="varchar"),
            ),
            False,
            id="a type",
        ),
        pytest.param(
            info(column("id", 1, primary_key=True), column("name", 2, data_type="text")),
            False,
            id="nullability",
        ),
        pytest.param(
            info(column("id", 1, nullable=False), column("name", 2, data_type="text")),
            False,
            id="a key",
        ),
        pytest.param(
            info(
                column("id", 2, primary_key=True, nullable=False),
                column("name", 1, data_type="text"),
            ),
            False,
            id="positions",
        ),
        pytest.param(replace(BASE, comment="Customers"), False, id="the table's comment"),
        pytest.param(replace(BASE, kind=TableKind.VIEW), False, id="the kind"),
        pytest.param(replace(BASE, definition="SELECT 1"), False, id="a definition"),
        pytest.param(
            info(
                column("id", 1, primary_key=True, nullable=False),
                column("name", 2, data_type="text", comment="Full name"),
            ),
            False,
            id="a column's comment",
        ),
        pytest.param(replace(BASE, columns=BASE.columns[:1]), False, id="a column fewer"),
        pytest.param(replace(BASE, row_count=12, notes=["sampled"]), True, id="row count, notes"),
    ],
)
def test_the_fingerprint_covers_what_a_scan_writes(reported: TableInfo, same: bool) -> None:
    assert (fingerprint(reported) == fingerprint(BASE)) is same


def test_where_positions_follow_names_a_moved_position_keeps_the_fingerprint() -> None:
    docs = replace(BASE, positions_from_names=True)
    moved = replace(
        docs, columns=[replace(c, ordinal_position=c.ordinal_position + 1) for c in docs.columns]
    )
    assert fingerprint(moved) == fingerprint(docs) != fingerprint(BASE)
