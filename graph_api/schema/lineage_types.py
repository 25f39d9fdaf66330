"""GraphQL types for lineage edges, traversal results and impact reports."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from graph_api import models
from graph_api.context import Info
from graph_api.services import lineage_views
from graph_api.services.lineage import Outcome as OutcomeEnum
from graph_api.services.traversal import Traversal
from graph_api.store.lineage import TraversalFilter

# strawberry.enum registers the GraphQL enum on the class itself, so annotations
# below use the domain enums directly.
strawberry.enum(
    models.LineageSource,
    description="Where an edge came from: INFERRED by a tool, declared MANUAL by a person, or "
    "APPROVED by a steward.",
)
LineageSource = models.LineageSource
strawberry.enum(models.ReviewState, description="Where an edge is in review.")
ReviewState = models.ReviewState
strawberry.enum(models.TransformationType, description="How the downstream data is derived.")
TransformationType = models.TransformationType
strawberry.enum(models.LineageLevel, description="Table- or field-level lineage.")
LineageLevel = models.LineageLevel
strawberry.enum(models.Direction)
Direction = models.Direction
strawberry.enum(OutcomeEnum, description="What happened to one submitted edge.")
Outcome = OutcomeEnum
strawberry.enum(lineage_views.ChangeType)
ChangeType = lineage_views.ChangeType
strawberry.enum(
    lineage_views.Severity,
    description="BREAKING: will fail. REVIEW: may be affected, depending on the transformation.",
)
Severity = lineage_views.Severity

if TYPE_CHECKING:
    from graph_api.schema.types import FieldNode, TableNode

TableRef = Annotated["TableNode", strawberry.lazy("graph_api.schema.types")]
FieldRef = Annotated["FieldNode", strawberry.lazy("graph_api.schema.types")]
LineageEnd = Annotated[
    Annotated["TableNode", strawberry.lazy("graph_api.schema.types")]
    | Annotated["FieldNode", strawberry.lazy("graph_api.schema.types")],
    strawberry.union("LineageEnd"),
]


@strawberry.input(description="Which edges a traversal follows.")
class LineageFilter:
    min_confidence: float = 0.0
    provenance: list[LineageSource] | None = strawberry.field(
        default=None, description="Only edges with these provenances; all when omitted."
    )
    include_rejected: bool = strawberry.field(
        default=False, description="Rejected edges are left out unless this is true."
    )

    def to_filter(self) -> TraversalFilter:
        return TraversalFilter(
            min_confidence=self.min_confidence,
            provenance=tuple(sorted(self.provenance, key=lambda p: p.value))
            if self.provenance
            else None,
            include_rejected=self.include_rejected,
        )


def to_filter(value: LineageFilter | None) -> TraversalFilter:
    return value.to_filter() if value else TraversalFilter()


@strawberry.type(name="LineageEdge", description="Data flows from upstream to downstream.")
class LineageEdgeNode:
    id: strawberry.ID
    level: LineageLevel
    upstream_id: strawberry.ID
    downstream_id: strawberry.ID
    lineage_source: LineageSource
    confidence: float
    transformation_type: TransformationType | None
    transformation_logic: str | None
    description: str | None
    review_state: ReviewState
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    implied: bool = strawberry.field(
        description="True for a table edge that exists because field edges run between the "
        "two tables; it follows them."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, edge: models.LineageEdge) -> LineageEdgeNode:
        return cls(
            id=strawberry.ID(edge.id),
            level=edge.level,
            upstream_id=strawberry.ID(edge.upstream_id),
            downstream_id=strawberry.ID(edge.downstream_id),
            lineage_source=edge.lineage_source,
            confidence=edge.confidence,
            transformation_type=edge.transformation_type,
            transformation_logic=edge.transformation_logic,
            description=edge.description,
            review_state=edge.review_state,
            reviewed_by=edge.reviewed_by,
            reviewed_at=edge.reviewed_at,
            review_comment=edge.review_comment,
            implied=not edge.explicit,
            created_by=edge.created_by,
            created_at=edge.created_at,
            updated_at=edge.updated_at,
        )

    async def _end(self, info: Info, node_id: str) -> TableRef | FieldRef | None:
        from graph_api.schema.types import FieldNode, TableNode

        if self.level is models.LineageLevel.TABLE:
            table = await info.context.loaders.table.load(node_id)
            return TableNode.from_model(table) if table else None
        f = await info.context.loaders.field.load(node_id)
        return FieldNode.from_model(f) if f else None

    @strawberry.field(description="The table or field the data comes from.")
    async def upstream(self, info: Info) -> LineageEnd | None:
        return await self._end(info, str(self.upstream_id))

    @strawberry.field(description="The table or field the data goes to.")
    async def downstream(self, info: Info) -> LineageEnd | None:
        return await self._end(info, str(self.downstream_id))


@strawberry.type(description="A table reached by traversal.")
class TableHop:
    table: TableRef
    distance: int = strawberry.field(description="Hops from the starting table.")
    via: LineageEdgeNode = strawberry.field(description="The edge it was reached through.")


@strawberry.type(description="A field reached by traversal.")
class FieldHop:
    field: FieldRef
    distance: int
    via: LineageEdgeNode


@strawberry.type
class TableLineage:
    hops: list[TableHop]
    truncated: bool = strawberry.field(description="True when maxNodes cut the traversal short.")
    frontier: list[strawberry.ID] = strawberry.field(
        description="Reached tables whose further neighbours were not loaded."
    )


@strawberry.type
class FieldLineage:
    hops: list[FieldHop]
    truncated: bool
    frontier: list[strawberry.ID]


async def table_lineage(info: Info, result: Traversal) -> TableLineage:
    from graph_api.schema.types import TableNode

    reached = [n for n in result.nodes.values() if n.via is not None]
    tables = await info.context.loaders.table.load_many([n.id for n in reached])
    hops = [
        TableHop(
            table=TableNode.from_model(t),
            distance=abs(n.depth),
            via=LineageEdgeNode.from_model(n.via),  # type: ignore[arg-type]
        )
        for n, t in zip(reached, tables, strict=True)
        if t is not None
    ]
    hops.sort(key=lambda h: (h.distance, h.table.qualified_name))
    return TableLineage(
        hops=hops,
        truncated=result.truncated,
        frontier=[strawberry.ID(i) for i in sorted(result.frontier)],
    )


async def field_lineage(info: Info, result: Traversal) -> FieldLineage:
    from graph_api.schema.types import FieldNode

    reached = [n for n in result.nodes.values() if n.via is not None]
    fields = await info.context.loaders.field.load_many([n.id for n in reached])
    hops = [
        FieldHop(
            field=FieldNode.from_model(f),
            distance=abs(n.depth),
            via=LineageEdgeNode.from_model(n.via),  # type: ignore[arg-type]
        )
        for n, f in zip(reached, fields, strict=True)
        if f is not None
    ]
    hops.sort(key=lambda h: (h.distance, h.field.name, str(h.field.id)))
    return FieldLineage(
        hops=hops,
        truncated=result.truncated,
        frontier=[strawberry.ID(i) for i in sorted(result.frontier)],
    )


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


@strawberry.type(description="Nodes and edges around a root, in a deterministic order.")
class LineageGraph:
    root_id: strawberry.ID
    nodes: list[LineageGraphNode]
    edges: list[LineageGraphEdge]
    truncated: bool = strawberry.field(
        description="True when maxNodes was reached; `frontier` then lists where to expand."
    )
    frontier: list[strawberry.ID]

    @classmethod
    def from_view(cls, graph: lineage_views.Graph) -> LineageGraph:
        return cls(
            root_id=strawberry.ID(graph.root_id),
            nodes=[
                LineageGraphNode(
                    id=strawberry.ID(n.id),
                    type=n.type,
                    label=n.label,
                    depth=n.depth,
                    parent_id=strawberry.ID(n.parent_id) if n.parent_id else None,
                    has_more=n.has_more,
                    data=cast(JSON, n.data),
                )
                for n in graph.nodes
            ],
            edges=[
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
                for e in graph.edges
            ],
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
