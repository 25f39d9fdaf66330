"""Origins and their assertions as the schema shows them (on every lineage edge, in the
review queue, and in the origins query)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph_api import models
from graph_api.context import Info
from graph_api.schema.enums import LineageLevel, OriginKind, TransformationType


@strawberry.type(
    description="One piece of an assertion's evidence, e.g. sql, expression, uniqueId."
)
class EvidenceEntry:
    key: str
    value: str


@strawberry.type(name="Origin", description="What asserts lineage, with its trust and counts.")
class OriginNode:
    id: strawberry.ID
    kind: OriginKind
    key: str = strawberry.field(description="Stable per origin within its kind.")
    label: str
    trusted: bool = strawberry.field(
        description="Its new edges arrive APPROVED, under the decision of `trustedBy`."
    )
    trusted_by: str | None
    trusted_at: datetime | None
    trust_comment: str | None
    created_at: datetime
    last_ingested_at: datetime | None
    last_ingested_by: str | None

    @classmethod
    def from_model(cls, origin: models.OriginRecord) -> OriginNode:
        return cls(
            id=strawberry.ID(origin.id),
            kind=origin.kind,
            key=origin.key,
            label=origin.label,
            trusted=origin.trusted,
            trusted_by=origin.trusted_by,
            trusted_at=origin.trusted_at,
            trust_comment=origin.trust_comment,
            created_at=origin.created_at,
            last_ingested_at=origin.last_ingested_at,
            last_ingested_by=origin.last_ingested_by,
        )

    @strawberry.field(description="How many lineage edges this origin asserts.")
    async def asserted_edge_count(self, info: Info) -> int:
        counts: tuple[int, int] = await info.context.loaders.origin_counts.load(str(self.id))
        return counts[0]

    @strawberry.field(description="How many of the edges it asserts wait for review.")
    async def pending_edge_count(self, info: Info) -> int:
        counts: tuple[int, int] = await info.context.loaders.origin_counts.load(str(self.id))
        return counts[1]


@strawberry.type(
    name="EdgeAssertion",
    description="One origin's assertion of an edge: what it says and its evidence.",
)
class EdgeAssertionNode:
    origin: OriginNode
    level: LineageLevel
    transformation_type: TransformationType | None
    confidence: float | None
    logic: str | None
    evidence: list[EvidenceEntry]
    first_seen: datetime
    last_seen: datetime = strawberry.field(description="When the origin last asserted it.")

    @classmethod
    def from_model(
        cls, assertion: models.AssertionRecord, origin: models.OriginRecord
    ) -> EdgeAssertionNode:
        return cls(
            origin=OriginNode.from_model(origin),
            level=assertion.level,
            transformation_type=assertion.transformation,
            confidence=assertion.confidence,
            logic=assertion.logic,
            evidence=[EvidenceEntry(key=k, value=v) for k, v in sorted(assertion.evidence.items())],
            first_seen=assertion.first_seen,
            last_seen=assertion.last_seen,
        )
