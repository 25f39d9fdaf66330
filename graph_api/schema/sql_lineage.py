"""SQL lineage: propose (a query, no writes) and apply (INFERRED lineage, origin SQL)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.schema.common import ValidationErrorType
from graph_api.schema.enums import Outcome, SqlDialect, SqlNameKind, TransformationType
from graph_api.schema.origin_nodes import OriginNode
from graph_api.schema.permissions import requires
from graph_api.schema.user_errors import UserErrors
from graph_api.services.lineage_ingest import IngestReport
from graph_api.sql_lineage import model

INDIRECT = (
    "Also propose the columns used only in joins, filters, grouping, ordering, windows and CASE "
    "conditions (JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL) as edges to every column "
    "the statement writes."
)


@strawberry.type(description="Where in the submitted text (1-based line and column).")
class SqlPosition:
    line: int
    column: int


@strawberry.type
class SqlStatementReport:
    index: int
    position: SqlPosition
    kind: str = strawberry.field(
        description="INSERT, CREATE_TABLE_AS, CREATE_VIEW, MERGE, UPDATE, UNPARSED, or the "
        "statement's own kind when it carries no lineage."
    )
    target: str | None
    fingerprint: str
    confidence: float | None
    note: str | None


@strawberry.type
class ProposedFieldLineage:
    upstream_id: strawberry.ID
    downstream_id: strawberry.ID
    upstream_name: str
    downstream_name: str
    transformation_type: TransformationType
    confidence: float
    expression: str = strawberry.field(description="The output expression, as the SQL has it.")
    statement_index: int


@strawberry.type
class ProposedTableLineage:
    upstream_id: strawberry.ID
    downstream_id: strawberry.ID
    upstream_name: str
    downstream_name: str
    confidence: float
    statement_index: int


@strawberry.type
class UnresolvedSqlName:
    kind: SqlNameKind
    name: str
    statement_index: int
    message: str
    suggestions: list[str]


@strawberry.type
class UnparsedSqlStatement:
    statement_index: int
    position: SqlPosition
    reason: str
    text: str = strawberry.field(description="The statement's first 200 characters.")


@strawberry.type(description="The lineage a SQL text proposes; nothing is written.")
class SqlLineageProposal:
    fingerprint: str = strawberry.field(description="Of the whole text: the SQL origin's key.")
    dialect: SqlDialect
    statements: list[SqlStatementReport]
    field_edges: list[ProposedFieldLineage]
    table_edges: list[ProposedTableLineage] = strawberry.field(
        description="Tables read without a column edge to the target (e.g. count(*))."
    )
    unresolved: list[UnresolvedSqlName]
    unparsed: list[UnparsedSqlStatement]

    @classmethod
    def from_model(cls, p: model.SqlProposal) -> SqlLineageProposal:
        def position(where: model.Position) -> SqlPosition:
            return SqlPosition(line=where.line, column=where.column)

        return cls(
            fingerprint=p.fingerprint,
            dialect=p.dialect,
            statements=[
                SqlStatementReport(
                    index=s.index,
                    position=position(s.position),
                    kind=s.kind,
                    target=s.target,
                    fingerprint=s.fingerprint,
                    confidence=s.confidence,
                    note=s.note,
                )
                for s in p.statements
            ],
            field_edges=[
                ProposedFieldLineage(
                    upstream_id=strawberry.ID(e.upstream_id),
                    downstream_id=strawberry.ID(e.downstream_id),
                    upstream_name=e.upstream_name,
                    downstream_name=e.downstream_name,
                    transformation_type=e.transformation,
                    confidence=e.confidence,
                    expression=e.expression,
                    statement_index=e.statement,
                )
                for e in p.field_edges
            ],
            table_edges=[
                ProposedTableLineage(
                    upstream_id=strawberry.ID(e.upstream_id),
                    downstream_id=strawberry.ID(e.downstream_id),
                    upstream_name=e.upstream_name,
                    downstream_name=e.downstream_name,
                    confidence=e.confidence,
                    statement_index=e.statement,
                )
                for e in p.table_edges
            ],
            unresolved=[
                UnresolvedSqlName(
                    kind=u.kind,
                    name=u.name,
                    statement_index=u.statement,
                    message=u.message,
                    suggestions=list(u.suggestions),
                )
                for u in p.unresolved
            ],
            unparsed=[
                UnparsedSqlStatement(
                    statement_index=u.statement,
                    position=position(u.position),
                    reason=u.reason,
                    text=u.text,
                )
                for u in p.unparsed
            ],
        )


@strawberry.type
class IngestedEdge:
    outcome: Outcome | None
    edge_id: strawberry.ID | None
    problem: str | None


@strawberry.type(description="The proposal, applied as INFERRED lineage pending review.")
class ApplySqlLineageSuccess:
    origin: OriginNode
    proposal: SqlLineageProposal
    summary: str
    results: list[IngestedEdge]
    removed_edge_ids: list[strawberry.ID] = strawberry.field(
        description="Edges this SQL asserted before and no origin asserts any more."
    )

    @classmethod
    def build(cls, proposal: model.SqlProposal, report: IngestReport) -> ApplySqlLineageSuccess:
        return cls(
            origin=OriginNode.from_model(report.origin),
            proposal=SqlLineageProposal.from_model(proposal),
            summary=report.summary(),
            results=[
                IngestedEdge(
                    outcome=r.outcome,
                    edge_id=strawberry.ID(r.edge_id) if r.edge_id else None,
                    problem=r.problem,
                )
                for r in report.results
            ],
            removed_edge_ids=[strawberry.ID(i) for i in report.removed_edge_ids],
        )


ApplySqlLineageResult = Annotated[
    ApplySqlLineageSuccess | ValidationErrorType, strawberry.union("ApplySqlLineageResult")
]


@strawberry.type
class SqlLineageQuery:
    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="The lineage a SQL text or script proposes, resolved against the catalog "
        "(nothing is written): field and table edges with transformation, confidence and "
        "expression; names it could not resolve, with suggestions; statements it could not "
        "parse, with the reason and where.",
    )
    async def propose_sql_lineage(
        self,
        info: Info,
        sql: str,
        dialect: SqlDialect = model.Dialect.GENERIC,
        source_id: strawberry.ID | None = None,
        default_schema: str | None = None,
        include_indirect: Annotated[bool, strawberry.argument(description=INDIRECT)] = True,
    ) -> SqlLineageProposal:
        proposal = await info.context.services.sql_lineage.propose(
            sql,
            dialect=dialect,
            source_id=str(source_id) if source_id else None,
            default_schema=default_schema,
            include_indirect=include_indirect,
        )
        return SqlLineageProposal.from_model(proposal)


@strawberry.type
class SqlLineageMutation:
    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors()],
        description="Apply what proposeSqlLineage proposes as INFERRED lineage, pending review, "
        "with the SQL text as its origin: applying the same text again replaces what it "
        "asserted; find it with reviewQueue(originId:) and approve it with approveOrigin.",
    )
    async def apply_sql_lineage(
        self,
        info: Info,
        sql: str,
        dialect: SqlDialect = model.Dialect.GENERIC,
        source_id: strawberry.ID | None = None,
        default_schema: str | None = None,
        include_indirect: Annotated[bool, strawberry.argument(description=INDIRECT)] = True,
        label: str | None = None,
    ) -> ApplySqlLineageResult:
        applied = await info.context.services.sql_lineage.apply(
            sql,
            dialect=dialect,
            actor=info.context.actor,
            label=label,
            source_id=str(source_id) if source_id else None,
            default_schema=default_schema,
            include_indirect=include_indirect,
        )
        return ApplySqlLineageSuccess.build(applied.proposal, applied.report)
