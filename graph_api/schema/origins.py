"""Origins: list them, review everything one origin asserts in one action, trust it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.lineage_rules import MAX_REVIEW_COMMENT
from graph_api.schema.common import NotFoundErrorType, ValidationErrorType, requested_page_size
from graph_api.schema.enums import OriginKind
from graph_api.schema.nodes import LineageEdgeNode
from graph_api.schema.origin_nodes import OriginNode
from graph_api.schema.permissions import requires
from graph_api.schema.user_errors import UserErrors

ORIGIN_PATHS = {"origin.id": "originId", "review.comment": "comment"}


@strawberry.type(description="Everything one origin asserted that waited for review, decided.")
class OriginReviewSuccess:
    origin: OriginNode
    reviewed_edge_count: int
    edges: list[LineageEdgeNode]
    implied_table_edges_created: list[strawberry.ID]
    implied_table_edges_removed: list[strawberry.ID]


@strawberry.type
class OriginSuccess:
    origin: OriginNode


Errors = ValidationErrorType | NotFoundErrorType
OriginReviewResult = Annotated[OriginReviewSuccess | Errors, strawberry.union("OriginReviewResult")]
OriginResult = Annotated[OriginSuccess | Errors, strawberry.union("OriginResult")]


@strawberry.type
class OriginQuery:
    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Origins of lineage, most recently ingested first.",
    )
    async def origins(
        self, info: Info, kind: OriginKind | None = None, first: int | None = None
    ) -> list[OriginNode]:
        size = requested_page_size(first, info.context.settings)
        found = await info.context.services.origins.repo.recent(kind=kind, limit=size)
        return [OriginNode.from_model(o) for o in found]

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="An origin by id; null when there is none.",
    )
    async def origin(self, info: Info, id: strawberry.ID) -> OriginNode | None:
        found = await info.context.loaders.origin.load(str(id))
        return OriginNode.from_model(found) if found else None


async def _review(
    info: Info, origin_id: strawberry.ID, *, approve: bool, comment: str | None
) -> OriginReviewSuccess:
    done = await info.context.services.origins.review(
        str(origin_id), approve=approve, comment=comment, actor=info.context.actor
    )
    info.context.loaders.prime_edges(done.edges)
    return OriginReviewSuccess(
        origin=OriginNode.from_model(done.origin),
        reviewed_edge_count=len(done.edges),
        edges=[LineageEdgeNode.from_model(e) for e in done.edges],
        implied_table_edges_created=[strawberry.ID(i) for i in done.changes.implied_created],
        implied_table_edges_removed=[strawberry.ID(i) for i in done.changes.implied_removed],
    )


async def _trust(
    info: Info, origin_id: strawberry.ID, *, trusted: bool, comment: str | None
) -> OriginSuccess:
    origin = await info.context.services.origins.set_trust(
        str(origin_id), trusted=trusted, comment=comment, actor=info.context.actor
    )
    return OriginSuccess(origin=OriginNode.from_model(origin))


@strawberry.type
class OriginMutation:
    @strawberry.mutation(
        extensions=[*requires(Role.STEWARD), UserErrors(ORIGIN_PATHS)],
        description="Approve every pending edge the origin asserts, in one action (each edge's "
        f"history records it). The comment is at most {MAX_REVIEW_COMMENT:,} characters.",
    )
    async def approve_origin(
        self, info: Info, origin_id: strawberry.ID, comment: str | None = None
    ) -> OriginReviewResult:
        return await _review(info, origin_id, approve=True, comment=comment)

    @strawberry.mutation(
        extensions=[
            *requires(Role.STEWARD),
            UserErrors({**ORIGIN_PATHS, "review.comment": "reason"}),
        ],
        description="Reject every pending edge the origin asserts, in one action, with a reason.",
    )
    async def reject_origin(
        self, info: Info, origin_id: strawberry.ID, reason: str
    ) -> OriginReviewResult:
        return await _review(info, origin_id, approve=False, comment=reason)

    @strawberry.mutation(
        extensions=[*requires(Role.STEWARD), UserErrors(ORIGIN_PATHS)],
        description="Trust an origin: its future edges arrive APPROVED under your decision "
        "(recorded as their reviewer). Edges already pending stay pending: approveOrigin them.",
    )
    async def trust_origin(
        self, info: Info, origin_id: strawberry.ID, comment: str | None = None
    ) -> OriginResult:
        return await _trust(info, origin_id, trusted=True, comment=comment)

    @strawberry.mutation(
        extensions=[*requires(Role.STEWARD), UserErrors(ORIGIN_PATHS)],
        description="Stop trusting an origin: its future edges wait for review again.",
    )
    async def untrust_origin(
        self, info: Info, origin_id: strawberry.ID, comment: str | None = None
    ) -> OriginResult:
        return await _trust(info, origin_id, trusted=False, comment=comment)
