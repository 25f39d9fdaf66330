"""Lineage queries and mutations: declare, edit, review, delete, traverse, analyse impact."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from graph_api import models
from graph_api.auth.roles import Role, forbidden
from graph_api.context import Info
from graph_api.errors import ValidationError
from graph_api.lineage_rules import MAX_REVIEW_COMMENT
from graph_api.schema.common import (
    ConflictErrorType,
    NotFoundErrorType,
    PageInfo,
    ValidationErrorType,
    requested_page_size,
    selects,
)
from graph_api.schema.enums import (
    ChangeType,
    Direction,
    LineageLevel,
    LineageSource,
    OnDuplicate,
    Outcome,
    TransformationType,
)
from graph_api.schema.lineage_graph import ImpactReport, LineageGraph
from graph_api.schema.nodes import TRAVERSAL_PATHS, LineageEdgeNode, LineageFilter, to_filter
from graph_api.schema.permissions import requires
from graph_api.schema.user_errors import UserErrors
from graph_api.services import lineage as service
from graph_api.services.lineage_views import ImpactAnalysis, LineageViews
from graph_api.store.lineage import LineageRepository, ReviewCounts
from graph_api.store.traversal import DEFAULT_DEPTH, check_depth, check_max_nodes


@strawberry.input(description="One lineage edge, from upstream (source of the data) to downstream.")
class LineageEdgeInput:
    upstream_id: strawberry.ID
    downstream_id: strawberry.ID
    lineage_source: LineageSource = models.LineageSource.MANUAL
    confidence: float | None = strawberry.field(
        default=None,
        description="0 to 1; defaults by provenance (INFERRED 0.5, MANUAL 0.9, APPROVED 1).",
    )
    transformation_type: TransformationType | None = None
    transformation_logic: str | None = strawberry.field(
        default=None, description="SQL or free text saying how the data is derived."
    )
    description: str | None = None

    def to_draft(self) -> service.EdgeDraft:
        return service.EdgeDraft(
            upstream_id=str(self.upstream_id),
            downstream_id=str(self.downstream_id),
            lineage_source=self.lineage_source,
            confidence=self.confidence,
            transformation_type=self.transformation_type,
            transformation_logic=self.transformation_logic,
            description=self.description,
        )


@strawberry.input(
    description="Only the fields given change. Changing the confidence or transformation of "
    "an APPROVED edge makes it MANUAL and pending again, and of a REJECTED edge pending again; "
    "either way the earlier reviewer and comment leave the edge (its history keeps them)."
)
class UpdateLineageInput:
    confidence: float | None = strawberry.UNSET
    transformation_type: TransformationType | None = strawberry.UNSET
    transformation_logic: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.type
class LineageEdgeOutcome:
    outcome: Outcome
    edge: LineageEdgeNode
    message: str | None


@strawberry.type(description="What the call changed, edge by edge.")
class LineageChangeSuccess:
    results: list[LineageEdgeOutcome]
    implied_table_edges_created: list[strawberry.ID] = strawberry.field(
        description="Table edges added because field edges now run between the tables."
    )
    implied_table_edges_removed: list[strawberry.ID] = strawberry.field(
        description="Implied table edges removed because no live field edge is left under them."
    )


@strawberry.type
class LineageEdgeSuccess:
    edge: LineageEdgeNode


@strawberry.type
class DeleteLineageSuccess:
    deleted_ids: list[strawberry.ID]
    implied_table_edges_removed: list[strawberry.ID]


Errors = ValidationErrorType | NotFoundErrorType | ConflictErrorType
LineageChangeResult = Annotated[
    LineageChangeSuccess | Errors, strawberry.union("LineageChangeResult")
]
LineageEdgeResult = Annotated[LineageEdgeSuccess | Errors, strawberry.union("LineageEdgeResult")]
DeleteLineageResult = Annotated[
    DeleteLineageSuccess | Errors, strawberry.union("DeleteLineageResult")
]


def _change_success(changes: service.LineageChanges) -> LineageChangeSuccess:
    return LineageChangeSuccess(
        results=[
            LineageEdgeOutcome(
                outcome=r.outcome, edge=LineageEdgeNode.from_model(r.edge), message=r.message
            )
            for r in changes.results
        ],
        implied_table_edges_created=[strawberry.ID(i) for i in changes.implied_created],
        implied_table_edges_removed=[strawberry.ID(i) for i in changes.implied_removed],
    )


@strawberry.type(description="Pending lineage for a steward, lowest confidence first.")
class ReviewQueue:
    # Counted only when a count is asked for: a page alone costs what the page holds.
    counts: strawberry.Private[Callable[[], Awaitable[ReviewCounts]]]

    @strawberry.field
    async def total_count(self) -> int:
        return (await self.counts()).total

    @strawberry.field
    async def table_edge_count(self) -> int:
        return (await self.counts()).table_edges

    @strawberry.field
    async def field_edge_count(self) -> int:
        return (await self.counts()).field_edges

    edges: list[LineageEdgeNode]
    page_info: PageInfo


def _check_confidence(value: float, name: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValidationError(f"{name} must be between 0 and 1, got {value}.", field=name)
    return value


@strawberry.type
class LineageQuery:
    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="A lineage edge by id; null when there is none.",
    )
    async def lineage_edge(self, info: Info, id: strawberry.ID) -> LineageEdgeNode | None:
        edge = await info.context.loaders.lineage_edge.load(str(id))
        return LineageEdgeNode.from_model(edge) if edge else None

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors(TRAVERSAL_PATHS | {"entity.id": "rootId"})],
        description="The lineage around a table or field, shaped for ReactFlow. Never silently "
        "partial: when maxNodes is reached, `truncated` is true and `frontier` says where to "
        "expand.",
    )
    async def lineage_graph(
        self,
        info: Info,
        root_id: strawberry.ID,
        direction: Direction = models.Direction.BOTH,
        depth: int = DEFAULT_DEPTH,
        include_fields: bool = False,
        filter: LineageFilter | None = None,
        max_nodes: int = 500,
    ) -> LineageGraph:
        settings = info.context.settings
        graph = await LineageViews(info.context.store).graph(
            str(root_id),
            direction=direction,
            depth=check_depth(depth, maximum=settings.lineage_max_depth),
            include_fields=include_fields,
            traversal=to_filter(filter),
            max_nodes=check_max_nodes(max_nodes, maximum=settings.lineage_max_nodes),
        )
        return LineageGraph.from_view(graph)

    @strawberry.field(
        extensions=[
            *requires(Role.VIEWER),
            UserErrors(TRAVERSAL_PATHS | {"entity.id": "entityId"}),
        ],
        description="Every downstream table and field a change to this table or field affects.",
    )
    async def impact(
        self,
        info: Info,
        entity_id: strawberry.ID,
        change_type: ChangeType,
        approved_only: bool = False,
        depth: int | None = None,
    ) -> ImpactReport:
        settings = info.context.settings
        report = await ImpactAnalysis(info.context.store).run(
            str(entity_id),
            change_type=change_type,
            approved_only=approved_only,
            depth=check_depth(
                depth if depth is not None else settings.lineage_max_depth,
                maximum=settings.lineage_max_depth,
            ),
            max_nodes=settings.lineage_max_nodes,
        )
        return ImpactReport.from_view(report)

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Lineage waiting for review, with counts.",
    )
    async def review_queue(
        self,
        info: Info,
        level: LineageLevel | None = None,
        source_id: strawberry.ID | None = None,
        table_id: strawberry.ID | None = None,
        min_confidence: float = 0.0,
        max_confidence: float = 1.0,
        first: int | None = None,
        after: str | None = None,
        origin_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the edges this origin asserts (see `origins`)."),
        ] = None,
    ) -> ReviewQueue:
        settings = info.context.settings
        size = requested_page_size(first, settings)
        _check_confidence(min_confidence, "minConfidence")
        _check_confidence(max_confidence, "maxConfidence")
        repo = LineageRepository(info.context.store)
        counted: asyncio.Task[ReviewCounts] | None = None
        if (
            source_id is None
            and table_id is None
            and origin_id is None
            and any(
                selects(info, name) for name in ("totalCount", "tableEdgeCount", "fieldEdgeCount")
            )
        ):
            # The whole queue's counts come from their own statement: sent beside the page's,
            # so the answer waits for the slower of the two, not for both in turn.
            counted = asyncio.ensure_future(
                repo.review_counts(
                    level=level, min_confidence=min_confidence, max_confidence=max_confidence
                )
            )
        try:
            page = await repo.review_page(
                level=level,
                source_id=str(source_id) if source_id else None,
                table_id=str(table_id) if table_id else None,
                min_confidence=min_confidence,
                max_confidence=max_confidence,
                after=after,
                first=size,
                origin_id=str(origin_id) if origin_id else None,
            )
        except BaseException:
            if counted is not None:
                counted.cancel()
            raise
        info.context.loaders.prime_edges(page.edges)
        known = page.counts

        def counts() -> Awaitable[ReviewCounts]:
            nonlocal counted
            if counted is None:
                counted = asyncio.ensure_future(
                    repo.review_counts(
                        level=level, min_confidence=min_confidence, max_confidence=max_confidence
                    )
                    if known is None
                    else _known(known)
                )
            return counted

        return ReviewQueue(
            counts=counts,
            edges=[LineageEdgeNode.from_model(e) for e in page.edges],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        )


async def _known(counts: ReviewCounts) -> ReviewCounts:
    return counts


async def _create(
    info: Info, level: models.LineageLevel, edges: list[LineageEdgeInput], on_duplicate: Any
) -> LineageChangeResult:
    principal = info.context.principal
    approved = any(e.lineage_source is models.LineageSource.APPROVED for e in edges)
    if approved and principal is not None and not principal.allows(Role.STEWARD):
        # APPROVED lineage is approved by someone: declaring it is a steward's review.
        raise forbidden(
            principal,
            Role.STEWARD,
            "declare lineage as APPROVED (declare it MANUAL or INFERRED and a steward approves it)",
        )
    changes = await info.context.lineage.create(
        level,
        [e.to_draft() for e in edges],
        on_duplicate=on_duplicate,
        actor=info.context.actor,
    )
    return _change_success(changes)


@strawberry.type
class LineageMutation:
    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors()],
        description="Declare table-level lineage, one edge or many at once.",
    )
    async def create_table_lineage(
        self,
        info: Info,
        edges: list[LineageEdgeInput],
        on_duplicate: OnDuplicate = service.OnDuplicate.ERROR,
    ) -> LineageChangeResult:
        return await _create(info, models.LineageLevel.TABLE, edges, on_duplicate)

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors()],
        description="Declare field-level lineage; the table edges it implies appear with it.",
    )
    async def create_field_lineage(
        self,
        info: Info,
        edges: list[LineageEdgeInput],
        on_duplicate: OnDuplicate = service.OnDuplicate.ERROR,
    ) -> LineageChangeResult:
        return await _create(info, models.LineageLevel.FIELD, edges, on_duplicate)

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"edge.id": "id", "edge": "input"})],
        description="Change an edge's confidence, transformation or description.",
    )
    async def update_lineage(
        self, info: Info, id: strawberry.ID, input: UpdateLineageInput
    ) -> LineageEdgeResult:
        changes = {k: v for k, v in vars(input).items() if v is not strawberry.UNSET}
        if changes.get("confidence", 0.0) is None:
            raise ValidationError(
                "confidence cannot be null; leave it out to keep it.", field="input.confidence"
            )
        edge = await info.context.lineage.update(str(id), changes, actor=info.context.actor)
        return LineageEdgeSuccess(edge=LineageEdgeNode.from_model(edge))

    @strawberry.mutation(
        extensions=[
            *requires(Role.STEWARD),
            UserErrors({"edgeIds": "ids", "review.comment": "comment"}),
        ],
        description="Approve many edges in one call: they become APPROVED. The comment is at "
        f"most {MAX_REVIEW_COMMENT:,} characters.",
    )
    async def approve_lineage(
        self, info: Info, ids: list[strawberry.ID], comment: str | None = None
    ) -> LineageChangeResult:
        return await _review(info, ids, approve=True, comment=comment)

    @strawberry.mutation(
        extensions=[
            *requires(Role.STEWARD),
            UserErrors({"edgeIds": "ids", "review.comment": "reason"}),
        ],
        description="Reject many edges in one call. They stay in history and leave traversals "
        f"(unless includeRejected). The reason is at most {MAX_REVIEW_COMMENT:,} characters.",
    )
    async def reject_lineage(
        self, info: Info, ids: list[strawberry.ID], reason: str
    ) -> LineageChangeResult:
        return await _review(info, ids, approve=False, comment=reason)

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"edgeIds": "ids"})],
        description="Delete edges. Deleting a table edge with field edges beneath needs cascade.",
    )
    async def delete_lineage(
        self, info: Info, ids: list[strawberry.ID], cascade: bool = False
    ) -> DeleteLineageResult:
        deleted, changes = await info.context.lineage.delete(
            [str(i) for i in ids], cascade=cascade, actor=info.context.actor
        )
        return DeleteLineageSuccess(
            deleted_ids=[strawberry.ID(e.id) for e in deleted],
            implied_table_edges_removed=[strawberry.ID(i) for i in changes.implied_removed],
        )


async def _review(
    info: Info, ids: list[strawberry.ID], *, approve: bool, comment: str | None
) -> LineageChangeResult:
    edges, changes = await info.context.lineage.review(
        [str(i) for i in ids],
        approve=approve,
        comment=comment,
        actor=info.context.actor,
    )
    changes.results = [service.EdgeResult(service.Outcome.UPDATED, e) for e in edges]
    return _change_success(changes)
