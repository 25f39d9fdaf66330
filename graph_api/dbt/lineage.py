"""The lineage a dbt project asserts, as assertions between Clew tables and fields.

- Table edges from `depends_on`: every model, snapshot and seed gets an edge from each relation
  it depends on; an ephemeral model is no table, so an edge through it runs from the
  relations it depends on (transitively) instead. A view's edges are VIEW, the rest ETL.
  Confidence 0.9: dbt resolved these `ref()`s and `source()`s itself.
- Field edges from `graph_api/dbt/columns.py` (the compiled SQL, parsed in dependency order),
  with the confidence a SQL proposal gives the same statement (`sql_lineage.confidence`), the
  expression as logic and evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from graph_api.dbt.artifacts import DbtNode, DbtProject
from graph_api.models import Assertion, Field, LineageLevel, TransformationType

if TYPE_CHECKING:
    from graph_api.dbt.columns import ColumnFlow

TABLE_CONFIDENCE = 0.9


def relation_parents(project: DbtProject, node: DbtNode) -> list[str]:
    """The relations (never ephemeral models) a node reads, through ephemeral models."""
    found: dict[str, None] = {}
    stack = list(reversed(node.depends_on))
    seen: set[str] = set()
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        parent = project.nodes.get(uid)
        if parent is None:
            continue  # a test, macro or disabled node: no relation
        if parent.ephemeral:
            stack.extend(reversed(parent.depends_on))
        else:
            found[uid] = None
    return list(found)


def table_assertions(project: DbtProject, table_ids: Mapping[str, str]) -> list[Assertion]:
    assertions = []
    for node in project.in_dependency_order():
        target = table_ids.get(node.unique_id)
        if target is None:
            continue
        transformation = (
            TransformationType.VIEW if node.materialized == "view" else TransformationType.ETL
        )
        for parent in relation_parents(project, node):
            source = table_ids.get(parent)
            if source is None or source == target:
                continue
            assertions.append(
                Assertion(
                    level=LineageLevel.TABLE,
                    source_id=source,
                    target_id=target,
                    transformation=transformation,
                    confidence=TABLE_CONFIDENCE,
                    evidence={
                        "project": project.name,
                        "uniqueId": node.unique_id,
                        "dependsOn": parent,
                    },
                )
            )
    return assertions


def field_assertions(
    project: DbtProject,
    flows: list[ColumnFlow],
    table_ids: Mapping[str, str],
    fields: Mapping[str, list[Field]],
) -> list[Assertion]:
    """The column flows as assertions between Clew fields (matched case-insensitively)."""
    ids = {(tid, f.name.lower()): f.id for tid, listed in fields.items() for f in listed}
    assertions = []
    for flow in flows:
        source_table, target_table = table_ids.get(flow.source_uid), table_ids.get(flow.target_uid)
        if source_table is None or target_table is None:
            continue
        source = ids.get((source_table, flow.source_column.lower()))
        target = ids.get((target_table, flow.target_column.lower()))
        if source is None or target is None or source == target:
            continue
        evidence = {"project": project.name, "uniqueId": flow.target_uid}
        if flow.expression:
            evidence["expression"] = flow.expression
        assertions.append(
            Assertion(
                level=LineageLevel.FIELD,
                source_id=source,
                target_id=target,
                transformation=flow.transformation,
                confidence=flow.confidence,
                logic=flow.expression
                if flow.transformation is not TransformationType.COPY
                else None,
                evidence=evidence,
            )
        )
    return assertions
