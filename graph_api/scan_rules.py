"""How what a database reports about a table is brought into the catalog, written once.

Every writer that applies a database's view of a table asks this module what to write: source
scans (services/scans/) and "fetch columns" (services/sources.py, whose column differences
are `diff_columns` below). Pure: no I/O, no driver, no GraphQL; its cases are the table in
tests/test_scan_rules.py.

The rules, as the README's "Scanning sources" section states them:

- A table the catalog lacks is created bound to the source, with its columns; a database
  comment becomes the description of a new table or column.
- On a table the catalog has, the database decides the kind, the comment and the view
  definition, and per column the type, nullability, key, position and comment. What people
  wrote (descriptions, tags) is kept; a comment fills an empty description only when the
  comment itself changed, so a description someone cleared stays cleared.
- Where positions only follow from the names (document stores), a moved position is no
  change.
- A column the database no longer has is never deleted here: it is marked missing, with the
  time and the scan, once (a column already marked stays as it was). A column that comes back
  loses its mark.
- Nothing differs, nothing is written: an unchanged table yields a plan with no writes, so a
  re-scan bumps no `updated_at`.
- What the scan owns of a table (the attributes above, as it writes them; never descriptions
  or tags) has a `fingerprint`: a scan compares it with the one it left on the table, and
  reads the table back to compare attribute by attribute only when they differ.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from graph_api.connectors.base import ColumnInfo, TableInfo
from graph_api.models import Field, Table, qualified_name


class TableOutcome(Enum):
    ADDED = "ADDED"
    CHANGED = "CHANGED"
    UNCHANGED = "UNCHANGED"
    MISSING = "MISSING"


# The column attributes the database decides: catalog property -> the name a report uses.
COLUMN_ATTRIBUTES = {
    "data_type": "dataType",
    "nullable": "nullable",
    "primary_key": "primaryKey",
    "ordinal_position": "ordinalPosition",
    "comment": "comment",
    "generated": "generated",
}
TABLE_ATTRIBUTES = {"kind": "kind", "comment": "comment", "definition": "definition"}


@dataclass(frozen=True)
class ColumnChange:
    """One column that differs: per attribute (report names), the catalog's value and the
    database's."""

    name: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Marker:
    """Who marks something missing: when, and which scan."""

    at: datetime
    scan_id: str


@dataclass(kw_only=True)
class TablePlan:
    schema: str | None
    name: str
    outcome: TableOutcome
    table: Table | None  # the catalog's table as read back; None for a new or unread one
    fields: list[Field] = field(default_factory=list)  # its fields as read back
    table_id: str | None = None  # the catalog's table's id; None for a new one
    # The fingerprint to leave on the table once written; None where the one there holds.
    fingerprint: str | None = None
    # A new table's properties, or only what changes on an existing one.
    table_props: dict[str, Any] = field(default_factory=dict)
    create_fields: list[dict[str, Any]] = field(default_factory=list)
    update_fields: list[tuple[Field, dict[str, Any]]] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)  # newly marked missing
    columns_changed: list[ColumnChange] = field(default_factory=list)

    @property
    def qualified_name(self) -> str:
        return qualified_name(self.schema, self.name)

    @property
    def writes(self) -> bool:
        return bool(self.table_props or self.create_fields or self.update_fields)


def _table_props(info: TableInfo) -> dict[str, Any]:
    return {
        "kind": info.kind.value,
        "comment": info.comment,
        "definition": getattr(info, "definition", None),
    }


def _column_props(column: ColumnInfo, *, by_name: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "data_type": column.data_type,
        "nullable": column.nullable,
        "primary_key": column.primary_key,
        "ordinal_position": column.ordinal_position,
        "comment": column.comment,
        "generated": column.generated,
    }
    if by_name:
        props.pop("ordinal_position")
    return props


# Part of every fingerprint: raise it when what a scan writes changes, so that every table is
# compared attribute by attribute once more.
FINGERPRINT_VERSION = 1


def fingerprint(info: TableInfo) -> str:
    """What a scan owns of `info`'s table, as it writes it, in 64 hex digits: kind, comment,
    definition and per column (by name) type, nullability, key, position (where positions
    are the source's own), comment and how the database fills it (`generated`)."""
    by_name = info.positions_from_names
    columns = sorted(
        ([c.name, *_column_props(c, by_name=by_name).values()] for c in info.columns),
        key=lambda c: str(c[0]),
    )
    payload = [FINGERPRINT_VERSION, list(_table_props(info).values()), columns]
    text = json.dumps(payload, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unchanged_plan(info: TableInfo, table_id: str) -> TablePlan:
    """The plan of a table whose catalog state still matches what the scan wrote for a
    `fingerprint` equal to `info`'s: nothing to write, nothing to read back."""
    return TablePlan(
        schema=info.schema,
        name=info.name,
        outcome=TableOutcome.UNCHANGED,
        table=None,
        table_id=table_id,
    )


def _stored(entity: Table | Field, attribute: str) -> Any:
    value = getattr(entity, attribute, None)
    return value.value if isinstance(value, Enum) else value


def _missing_props(marker: Marker | None) -> dict[str, Any]:
    if marker is None:
        return {"missing_since": None, "missing_scan_id": None}
    return {"missing_since": marker.at, "missing_scan_id": marker.scan_id}


def compare_column(
    column: ColumnInfo, existing: Field, *, positions_from_names: bool
) -> tuple[dict[str, Any], ColumnChange | None]:
    """What to write to `existing` so it matches `column`, and the change a report shows."""
    wanted = _column_props(column, by_name=positions_from_names)
    props = {k: v for k, v in wanted.items() if _stored(existing, k) != v}
    if props.get("comment") and not existing.description:
        props["description"] = props["comment"]
    before = {COLUMN_ATTRIBUTES[k]: _stored(existing, k) for k in props if k in COLUMN_ATTRIBUTES}
    after = {COLUMN_ATTRIBUTES[k]: v for k, v in props.items() if k in COLUMN_ATTRIBUTES}
    if existing.missing_since is not None:
        props |= _missing_props(None)
        before["missing"], after["missing"] = True, False
    change = ColumnChange(column.name, before, after) if before else None
    return props, change


def plan_table(
    info: TableInfo,
    table: Table | None,
    fields: list[Field],
    *,
    marker: Marker,
) -> TablePlan:
    """What to write so the catalog's `table` (with its `fields`) says what `info` says."""
    by_name = info.positions_from_names
    if table is None:
        props = {
            "name": info.name,
            "schema": info.schema,
            "qualified_name": qualified_name(info.schema, info.name),
            "description": info.comment,
            "tags": [],
            **_table_props(info),
        }
        return TablePlan(
            schema=info.schema,
            name=info.name,
            outcome=TableOutcome.ADDED,
            table=None,
            table_props=props,
            create_fields=[_new_field(c) for c in info.columns],
            columns_added=[c.name for c in info.columns],
        )
    plan = TablePlan(
        schema=info.schema,
        name=info.name,
        outcome=TableOutcome.UNCHANGED,
        table=table,
        fields=fields,
        table_id=table.id,
    )
    wanted = _table_props(info)
    plan.table_props = {k: v for k, v in wanted.items() if _stored(table, k) != v}
    if plan.table_props.get("comment") and not table.description:
        plan.table_props["description"] = plan.table_props["comment"]
    if table.missing_since is not None:
        plan.table_props |= _missing_props(None)
    current = {f.name: f for f in fields}
    for column in info.columns:
        existing = current.get(column.name)
        if existing is None:
            plan.create_fields.append(_new_field(column))
            plan.columns_added.append(column.name)
            continue
        props, change = compare_column(column, existing, positions_from_names=by_name)
        if props:
            plan.update_fields.append((existing, props))
        if change is not None:
            plan.columns_changed.append(change)
    seen = {c.name for c in info.columns}
    for existing in fields:
        if existing.name not in seen and existing.missing_since is None:
            plan.update_fields.append((existing, _missing_props(marker)))
            plan.columns_removed.append(existing.name)
    if plan.writes:
        plan.outcome = TableOutcome.CHANGED
    return plan


def _new_field(column: ColumnInfo) -> dict[str, Any]:
    return {
        "name": column.name,
        **_column_props(column, by_name=False),
        "description": column.comment,
        "tags": [],
    }


def missing_table_props(table: Table, marker: Marker) -> dict[str, Any] | None:
    """What marks a table the source no longer has as missing; None when it already is."""
    if table.missing_since is not None:
        return None
    return _missing_props(marker)


@dataclass(frozen=True)
class ColumnDiff:
    """A column of "fetch columns": attribute (report name) -> (catalog, database)."""

    name: str
    changes: dict[str, tuple[Any, Any]]


def diff_columns(
    info: TableInfo, fields: list[Field]
) -> tuple[list[str], list[str], list[ColumnDiff]]:
    """What differs between the database and the catalog, by the same comparison a scan
    makes (comments aside: "fetch columns" shows them in its own column). A field already
    marked missing counts as removed."""
    current = {f.name: f for f in fields}
    seen = {c.name for c in info.columns}
    added = [c.name for c in info.columns if c.name not in current]
    removed = [f.name for f in fields if f.name not in seen]
    changed = []
    for column in info.columns:
        existing = current.get(column.name)
        if existing is None:
            continue
        _, change = compare_column(column, existing, positions_from_names=info.positions_from_names)
        if change is None:
            continue
        deltas = {
            k: (change.before[k], change.after[k])
            for k in change.before
            if k not in ("comment", "missing")
        }
        if deltas:
            changed.append(ColumnDiff(column.name, deltas))
    return added, removed, changed
