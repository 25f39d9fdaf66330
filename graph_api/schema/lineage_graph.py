"""What lineageGraph and impact answer: a graph shaped for ReactFlow, and impact reports."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from graph_api.models import LineageEdge
from graph_api.schema.enums import (
    ChangeType,
    LineageLevel,
    LineageSource,
    ReviewState,
    Severity,
    TransformationType,
)
from graph_api.services import lineage_views
from graph_api.store.lineage import GraphEdge


@strawberry.type(description="A node shaped for ReactFlow.")
class LineageGraphNode:
    id: strawberry.ID
    type: str = strawberry.field(description="`table` or `field`.")
    label: str
    depth: int = strawberry.field(
        description="Signed distance from the root: negative upstream, positive downstream."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        description="For a field shown inside its table: the table's node id."
    )
    has_more: bool = strawberry.field(
        description="Its neighbours were not all loaded: expand it with another lineageGraph."
    )
    has_more_upstream: bool = strawberry.field(
        description="Edges into it lead to nodes this graph does not hold: expand it "
        "UPSTREAM (false for fields shown inside their tables)."
    )
    has_more_downstream: bool = strawberry.field(
        description="Edges out of it lead to nodes this graph does not hold: expand it "
        "DOWNSTREAM (false for fields shown inside their tables)."
    )
    data: strawberry.scalars.JSON


@strawberry.type(description="An edge shaped for ReactFlow.")
class LineageGraphEdge:
    id: strawberry.ID
    source: strawberry.ID = strawberry.field(description="Upstream node id.")
    target: strawberry.ID = strawberry.field(description="Downstream node id.")
    level: LineageLevel
    provenance: LineageSource
    confidence: float
    transformation: TransformationType | None
    review_state: ReviewState
    implied: bool


def _flow_node(n: lineage_views.GraphNode) -> dict[str, Any]:
    return {
        "id": n.id,
        "type": n.type,
        "label": n.label,
        "depth": n.depth,
        "parentId": n.parent_id,
        "hasMore": n.has_more,
        "hasMoreUpstream": n.has_more_upstream,
        "hasMoreDownstream": n.has_more_downstream,
        "data": n.data,
    }


def _flow_edge(e: LineageEdge | GraphEdge) -> dict[str, Any]:
    return {
        "id": e.id,
        "source": e.upstream_id,
        "target": e.downstream_id,
        "level": e.level.name,
        "provenance": e.lineage_source.name,
        "confidence": e.confidence,
        "transformation": e.transformation_type.name if e.transformation_type else None,
        "reviewState": e.review_state.name,
        "implied": not e.explicit,
    }


@strawberry.type(description="Nodes and edges around a root, in a deterministic order.")
class LineageGraph:
    # Typed nodes and edges are built only when asked for: a client that takes `flow`
    # skips Strawberry's per-object work (thousands of objects in a big graph).
    view: strawberry.Private[lineage_views.Graph]
    root_id: strawberry.ID
    truncated: bool = strawberry.field(
        description="True when maxNodes was reached; `frontier` then lists where to expand."
    )
    frontier: list[strawberry.ID]

    @strawberry.field
    def nodes(self) -> list[LineageGraphNode]:
        return [
            LineageGraphNode(
                id=strawberry.ID(n.id),
                type=n.type,
                label=n.label,
                depth=n.depth,
                parent_id=strawberry.ID(n.parent_id) if n.parent_id else None,
                has_more=n.has_more,
                has_more_upstream=n.has_more_upstream,
                has_more_downstream=n.has_more_downstream,
                data=cast(JSON, n.data),
            )
            for n in self.view.nodes
        ]

    @strawberry.field
    def edges(self) -> list[LineageGraphEdge]:
        return [
            LineageGraphEdge(
                id=strawberry.ID(e.id),
                source=strawberry.ID(e.upstream_id),
                target=strawberry.ID(e.downstream_id),
                level=e.level,
                provenance=e.lineage_source,
                confidence=e.confidence,
                transformation=e.transformation_type,
                review_state=e.review_state,
                implied=not e.explicit,
            )
            for e in self.view.edges
        ]

    @strawberry.field(
        description="The same nodes and edges as one JSON value, shaped for ReactFlow: "
        "`{nodes: [{id type label depth parentId hasMore data}], edges: [{id source target "
        "level provenance confidence transformation reviewState implied}]}`. For big graphs "
        "it is several times cheaper to serve than the typed `nodes` and `edges`."
    )
    def flow(self) -> JSON:
        return cast(
            JSON,
            {
                "nodes": [_flow_node(n) for n in self.view.nodes],
                "edges": [_flow_edge(e) for e in self.view.edges],
            },
        )

    @classmethod
    def from_view(cls, graph: lineage_views.Graph) -> LineageGraph:
        return cls(
            view=graph,
            root_id=strawberry.ID(graph.root_id),
            truncated=graph.truncated,
            frontier=[strawberry.ID(i) for i in graph.frontier],
        )


@strawberry.type
class PathStep:
    id: strawberry.ID
    label: str


@strawberry.type(description="A table or field affected by the change.")
class ImpactedEntity:
    id: strawberry.ID
    kind: str
    label: str
    distance: int
    severity: Severity
    source_id: strawberry.ID | None
    path: list[PathStep] = strawberry.field(
        description="From the changed entity to this one, both included."
    )

    @classmethod
    def from_view(cls, item: lineage_views.Impacted) -> ImpactedEntity:
        return cls(
            id=strawberry.ID(item.id),
            kind=item.kind,
            label=item.label,
            distance=item.distance,
            severity=item.severity,
            source_id=strawberry.ID(item.source_id) if item.source_id else None,
            path=[PathStep(id=strawberry.ID(i), label=label) for i, label in item.path],
        )


@strawberry.type
class ImpactCount:
    source_id: strawberry.ID | None = strawberry.field(description="Null for manual tables.")
    tables: int
    fields: int


@strawberry.type(description="Everything downstream that a change would affect.")
class ImpactReport:
    entity_id: strawberry.ID
    entity_kind: str
    change_type: ChangeType
    tables: list[ImpactedEntity]
    fields: list[ImpactedEntity]
    counts_by_source: list[ImpactCount]
    truncated: bool

    @classmethod
    def from_view(cls, report: lineage_views.ImpactReport) -> ImpactReport:
        return cls(
            entity_id=strawberry.ID(report.entity_id),
            entity_kind=report.entity_kind,
            change_type=report.change_type,
            tables=[ImpactedEntity.from_view(i) for i in report.tables],
            fields=[ImpactedEntity.from_view(i) for i in report.fields],
            counts_by_source=[
                ImpactCount(source_id=strawberry.ID(s) if s else None, tables=t, fields=f)
                for s, t, f in report.counts_by_source
            ],
            truncated=report.truncated,
        )
