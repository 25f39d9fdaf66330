"""Read-side views of lineage: the render-ready graph and impact analysis."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graph_api.errors import NotFoundError
from graph_api.lineage_rules import CARRIES_TYPE
from graph_api.models import (
    MANUAL_SOURCE_KEY,
    Direction,
    LineageEdge,
    LineageLevel,
    LineageSource,
)
from graph_api.store.client import Store
from graph_api.store.lineage import GraphEdge, LineageRepository, TraversalFilter
from graph_api.store.traversal import Traversal, traverse


@dataclass(frozen=True)
class GraphNode:
    id: str
    type: str  # "table" or "field"
    label: str
    depth: int
    parent_id: str | None
    has_more: bool
    data: dict[str, Any]
    has_more_upstream: bool = False
    has_more_downstream: bool = False


@dataclass(frozen=True)
class Graph:
    root_id: str
    nodes: list[GraphNode]
    edges: list[LineageEdge | GraphEdge]
    truncated: bool
    frontier: list[str]


def _node_data(kind: str, node: dict[str, Any], table_names: dict[str, str]) -> dict[str, Any]:
    if kind == "TABLE":
        source_key = node.get("source_key")
        return {
            "name": node["name"],
            "schema": node.get("schema"),
            "qualifiedName": node["qualified_name"],
            "kind": node["kind"],
            "sourceId": None if source_key == MANUAL_SOURCE_KEY else source_key,
            "description": node.get("description"),
            "tags": node.get("tags") or [],
        }
    return {
        "name": node["name"],
        "dataType": node.get("data_type"),
        "tableId": node["table_id"],
        "tableName": table_names.get(node["table_id"]),
        "description": node.get("description"),
    }


class LineageViews:
    def __init__(self, store: Store) -> None:
        self.repo = LineageRepository(store)

    async def kind_of(self, entity_id: str) -> tuple[LineageLevel, dict[str, Any]]:
        nodes = await self.repo.nodes([entity_id])
        if entity_id not in nodes:
            raise NotFoundError(
                f"No table or field with id '{entity_id}' exists; check the id.", field="entity.id"
            )
        kind, node = nodes[entity_id]
        return (LineageLevel.TABLE if kind == "TABLE" else LineageLevel.FIELD), node

    async def graph(
        self,
        root_id: str,
        *,
        direction: Direction,
        depth: int,
        include_fields: bool,
        traversal: TraversalFilter,
        max_nodes: int,
    ) -> Graph:
        row = await self.repo.graph(
            root_id,
            downstream=direction is not Direction.UPSTREAM,
            upstream=direction is not Direction.DOWNSTREAM,
            depth=depth,
            traversal=traversal,
            max_nodes=max_nodes,
            include_fields=include_fields,
        )
        if row is None:
            raise NotFoundError(
                f"No table or field with id '{root_id}' exists; check the id.", field="entity.id"
            )
        frontier = set(row["frontier"])
        edges: list[LineageEdge | GraphEdge] = [GraphEdge.from_record(e) for e in row["edges"]]
        # A table has a qualified_name, a field a table_id: that is how the kinds are told.
        shown = {n["id"]: n for n in row["nodes"]}
        table_names = {i: n["qualified_name"] for i, n in shown.items() if "table_id" not in n}
        fields_inside = row["is_table"]
        more = {m["id"]: (m["up"], m["down"]) for m in row["more"]}
        nodes = []
        for node_id, node in shown.items():
            kind = "FIELD" if "table_id" in node else "TABLE"
            depth_of = node["depth"]
            parent_id = None
            if kind == "FIELD":
                table_names.setdefault(node["table_id"], node["table_name"])
                if fields_inside:
                    parent_id = node["table_id"]
                    depth_of = shown[parent_id]["depth"] if parent_id in shown else 0
            label = (
                node["qualified_name"]
                if kind == "TABLE"
                else f"{node['table_name'] or '?'}.{node['name']}"
            )
            nodes.append(
                GraphNode(
                    id=node_id,
                    type=kind.lower(),
                    label=label,
                    depth=depth_of if depth_of is not None else 0,
                    parent_id=parent_id,
                    has_more=node_id in frontier,
                    data=_node_data(kind, node, table_names),
                    has_more_upstream=more.get(node_id, (False, False))[0],
                    has_more_downstream=more.get(node_id, (False, False))[1],
                )
            )
        # Tables before their fields (ReactFlow wants parents first), then by depth and label.
        nodes.sort(key=lambda n: (n.type != "table", n.depth, n.label, n.id))
        edges.sort(key=lambda e: (e.level.name, e.upstream_id, e.downstream_id, e.id))
        return Graph(root_id, nodes, edges, row["truncated"], sorted(frontier))


class ChangeType(Enum):
    DROP = "DROP"
    RENAME = "RENAME"
    TYPE_CHANGE = "TYPE_CHANGE"


class Severity(Enum):
    BREAKING = "BREAKING"
    REVIEW = "REVIEW"


@dataclass(frozen=True)
class Impacted:
    id: str
    kind: str
    label: str
    distance: int
    path: list[tuple[str, str]]  # (id, label) from the changed entity to this one
    severity: Severity
    source_id: str | None


@dataclass
class ImpactReport:
    entity_id: str
    entity_kind: str
    change_type: ChangeType
    tables: list[Impacted] = field(default_factory=list)
    fields: list[Impacted] = field(default_factory=list)
    truncated: bool = False
    counts_by_source: list[tuple[str | None, int, int]] = field(default_factory=list)


class ImpactAnalysis:
    """What breaks downstream if a table or column changes.

    DROP and RENAME break everything downstream. A TYPE_CHANGE breaks what is fed only through
    DIRECT or COPY mappings (the type flows through unchanged) and flags the rest for review.
    """

    def __init__(self, store: Store) -> None:
        self.repo = LineageRepository(store)
        self.views = LineageViews(store)

    async def run(
        self,
        entity_id: str,
        *,
        change_type: ChangeType,
        approved_only: bool,
        depth: int,
        max_nodes: int,
    ) -> ImpactReport:
        level, root = await self.views.kind_of(entity_id)
        traversal = TraversalFilter(provenance=(LineageSource.APPROVED,) if approved_only else None)
        field_starts = [entity_id] if level is LineageLevel.FIELD else []
        if level is LineageLevel.TABLE:
            field_starts = await self.repo.field_ids_of_table(entity_id)
        results: dict[str, Traversal] = {}
        if level is LineageLevel.TABLE:
            results["tables"] = (
                await traverse(
                    self.repo,
                    level=LineageLevel.TABLE,
                    starts={"t": [entity_id]},
                    direction=Direction.DOWNSTREAM,
                    depth=depth,
                    traversal=traversal,
                    max_nodes=max_nodes,
                    full_edges=False,
                )
            )["t"]
        if field_starts:
            results["fields"] = (
                await traverse(
                    self.repo,
                    level=LineageLevel.FIELD,
                    starts={"f": field_starts},
                    direction=Direction.DOWNSTREAM,
                    depth=depth,
                    traversal=traversal,
                    max_nodes=max_nodes,
                    full_edges=False,
                )
            )["f"]
        ids = {i for r in results.values() for i in r.nodes}
        info = await self.repo.nodes(sorted(ids))
        table_ids = {n["table_id"] for k, n in info.values() if k == "FIELD"} - set(info)
        if table_ids:
            info.update(await self.repo.nodes(sorted(table_ids)))

        def label(node_id: str) -> str:
            kind, node = info[node_id]
            if kind == "TABLE":
                return node["qualified_name"]
            return f"{info[node['table_id']][1]['qualified_name']}.{node['name']}"

        def severity(result: Traversal, node_id: str) -> Severity:
            if change_type is not ChangeType.TYPE_CHANGE:
                return Severity.BREAKING
            hops = [result.nodes[i].via for i in result.path_to(node_id)[1:]]
            carried = all(h is None or h.transformation_type in CARRIES_TYPE for h in hops)
            return Severity.BREAKING if carried else Severity.REVIEW

        def source_of(table_id: str) -> str | None:
            key = info[table_id][1].get("source_key")
            return None if key == MANUAL_SOURCE_KEY else key

        report = ImpactReport(
            entity_id, "TABLE" if level is LineageLevel.TABLE else "FIELD", change_type
        )
        report.truncated = any(r.truncated for r in results.values())
        starts = {entity_id, *field_starts}
        tables: dict[str, Impacted] = {}
        if "tables" in results:
            result = results["tables"]
            for node in result.nodes.values():
                if node.id in starts:
                    continue
                tables[node.id] = Impacted(
                    node.id,
                    "TABLE",
                    label(node.id),
                    node.depth,
                    [(i, label(i)) for i in result.path_to(node.id)],
                    severity(result, node.id),
                    source_of(node.id),
                )
        if "fields" in results:
            result = results["fields"]
            for node in result.nodes.values():
                if node.id in starts:
                    continue
                path = [(i, label(i)) for i in result.path_to(node.id)]
                table_id = info[node.id][1]["table_id"]
                item = Impacted(
                    node.id,
                    "FIELD",
                    label(node.id),
                    node.depth,
                    path,
                    severity(result, node.id),
                    source_of(table_id),
                )
                report.fields.append(item)
                # A table whose field is hit is hit too, at the nearest such distance.
                known = tables.get(table_id)
                if (
                    table_id != entity_id
                    and table_id != root.get("table_id")
                    and (known is None or known.distance > node.depth)
                ):
                    tables[table_id] = Impacted(
                        table_id,
                        "TABLE",
                        label(table_id),
                        node.depth,
                        path,
                        item.severity if known is None else known.severity,
                        source_of(table_id),
                    )
        report.tables = sorted(tables.values(), key=lambda i: (i.distance, i.label))
        report.fields.sort(key=lambda i: (i.distance, i.label))
        counts: Counter[tuple[str | None, str]] = Counter()
        for item in report.tables + report.fields:
            counts[(item.source_id, item.kind)] += 1
        sources = sorted({s for s, _ in counts}, key=lambda s: (s is None, s or ""))
        report.counts_by_source = [(s, counts[(s, "TABLE")], counts[(s, "FIELD")]) for s in sources]
        return report
