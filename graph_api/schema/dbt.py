"""dbt over GraphQL: upload a project's manifest.json (and catalog.json), see what it became."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.schema.common import ConflictErrorType, NotFoundErrorType, ValidationErrorType
from graph_api.schema.nodes import TableNode
from graph_api.schema.permissions import requires
from graph_api.schema.user_errors import UserErrors
from graph_api.services.dbt import DbtReport
from graph_api.services.imports.uploads import save_upload


@strawberry.input(
    description="A dbt project's artifacts, as `dbt compile` or `dbt build` wrote them."
)
class IngestDbtProjectInput:
    manifest: Upload = strawberry.field(
        description="target/manifest.json (any schema version; only the keys Clew needs are "
        "read), sent with the GraphQL multipart request spec."
    )
    catalog: Upload | None = strawberry.field(
        default=None,
        description="target/catalog.json from `dbt docs generate`: the columns' real types.",
    )
    project: str | None = strawberry.field(
        default=None,
        description="The project's name; by default the manifest's metadata.project_name. "
        "Ingesting the same project again replaces what it asserted before.",
    )
    source_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The registered source the project builds in: its relations are matched "
        "to that source's tables by schema and name. Without it they are documented by hand.",
    )


@strawberry.type(description="Something in the artifacts Clew could not use, and what to do.")
class DbtProblem:
    code: str
    message: str
    unique_id: str | None


@strawberry.type(description="A relation of the project and the Clew table it is.")
class DbtRelation:
    unique_id: str
    table_id: strawberry.ID

    @strawberry.field
    async def table(self, info: Info) -> TableNode | None:
        table = await info.context.loaders.table.load(str(self.table_id))
        return TableNode.from_model(table) if table else None


@strawberry.type(description="What ingesting a dbt project did.")
class DbtIngestReport:
    project: str
    origin_id: strawberry.ID | None
    tables_created: list[str]
    tables_updated: list[str]
    tables_removed: list[str] = strawberry.field(
        description="Tables the project created before and no longer declares."
    )
    tables_kept: list[str] = strawberry.field(
        description="Tables the project no longer declares, kept because people declared or "
        "approved lineage on them."
    )
    fields_created: int
    fields_updated: int
    table_edges: int = strawberry.field(description="Table edges the project asserts now.")
    field_edges: int = strawberry.field(description="Field edges the project asserts now.")
    edges_removed: int = strawberry.field(
        description="INFERRED edges the project asserted before and no longer does, which no "
        "other origin asserts: they left the graph (their history stays)."
    )
    lineage_summary: str | None
    problems: list[DbtProblem]
    relations: list[DbtRelation]

    @classmethod
    def from_model(cls, report: DbtReport) -> DbtIngestReport:
        lineage = report.lineage
        return cls(
            project=report.project,
            origin_id=strawberry.ID(lineage.origin.id) if lineage else None,
            tables_created=sorted(report.tables_created),
            tables_updated=sorted(report.tables_updated),
            tables_removed=sorted(report.tables_removed),
            tables_kept=sorted(report.tables_kept),
            fields_created=report.fields_created,
            fields_updated=report.fields_updated,
            table_edges=report.table_edges,
            field_edges=report.field_edges,
            edges_removed=len(lineage.removed_edge_ids) if lineage else 0,
            lineage_summary=lineage.summary() if lineage else None,
            problems=[
                DbtProblem(code=p.code, message=p.message, unique_id=p.unique_id)
                for p in report.problems
            ],
            relations=[
                DbtRelation(unique_id=uid, table_id=strawberry.ID(tid))
                for uid, tid in sorted(report.table_ids.items())
            ],
        )


@strawberry.type
class IngestDbtProjectSuccess:
    report: DbtIngestReport


IngestDbtProjectResult = Annotated[
    IngestDbtProjectSuccess | ValidationErrorType | NotFoundErrorType | ConflictErrorType,
    strawberry.union("IngestDbtProjectResult"),
]


async def _bytes(upload: Any, field: str) -> bytes:
    path, _ = await save_upload(upload, field=field)
    try:
        return await asyncio.to_thread(Path(path).read_bytes)
    finally:
        await asyncio.to_thread(Path(path).unlink, missing_ok=True)


@strawberry.type
class DbtMutation:
    @strawberry.mutation(
        extensions=[
            *requires(Role.EDITOR),
            UserErrors(
                {
                    "manifest": "input.manifest",
                    "catalog": "input.catalog",
                    "project": "input.project",
                    "dbt.sourceId": "input.sourceId",
                }
            ),
        ],
        description="Ingest a dbt project: its models, seeds, snapshots and sources become "
        "tables, their dependencies table lineage, their compiled SQL column lineage "
        "(INFERRED, pending review, with the project as origin). Ingesting the project again "
        "updates it in place and withdraws what it no longer declares; MANUAL and APPROVED "
        "lineage is never changed.",
    )
    async def ingest_dbt_project(
        self, info: Info, input: IngestDbtProjectInput
    ) -> IngestDbtProjectResult:
        manifest = await _bytes(input.manifest, "input.manifest")
        catalog = await _bytes(input.catalog, "input.catalog") if input.catalog else None
        report = await info.context.services.dbt.ingest_project(
            manifest,
            catalog,
            actor=info.context.actor,
            project=input.project,
            source_id=str(input.source_id) if input.source_id else None,
        )
        return IngestDbtProjectSuccess(report=DbtIngestReport.from_model(report))
