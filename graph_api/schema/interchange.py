"""Bulk import over GraphQL: upload a file (multipart request spec), follow its job.

Exports and the template are plain HTTP downloads (graph_api/interchange_http.py): a file is
not a GraphQL value.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from graph_api.auth.roles import Role, forbidden
from graph_api.context import Info
from graph_api.errors import NotFoundError
from graph_api.interchange import report as rpt
from graph_api.schema.common import (
    ConflictErrorType,
    NotFoundErrorType,
    ValidationErrorType,
)
from graph_api.schema.enums import (
    ImportJobStatus,
    ImportMode,
    ImportOutcome,
    ImportPhase,
    ImportProblemCode,
    ImportProblemSeverity,
    ImportProblemStage,
    TransferFormat,
)
from graph_api.schema.permissions import requires, while_allowed
from graph_api.schema.user_errors import UserErrors
from graph_api.services import imports as service
from graph_api.services.imports.uploads import save_upload
from graph_api.services.jobs import follow_job


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


@strawberry.type(description="One problem in an imported file, where the person will find it.")
class ImportProblem:
    severity: ImportProblemSeverity
    stage: ImportProblemStage
    code: ImportProblemCode
    message: str = strawberry.field(
        description="A plain sentence saying what is wrong and "
        "what to do, starting with where (\"Row 14 of 'fields'\")."
    )
    file: str | None
    section: str | None = strawberry.field(description="The section (sheet) it is in.")
    row: int | None = strawberry.field(
        description="The row as a spreadsheet shows it (the header is row 1); the item number "
        "in JSON and YAML."
    )
    line: int | None = strawberry.field(description="The line, in JSON and YAML files.")
    column: str | None
    value: str | None
    suggestion: str | None = strawberry.field(description="What the value probably should be.")

    @classmethod
    def from_model(cls, problem: rpt.Problem) -> ImportProblem:
        return cls(
            severity=problem.severity,
            stage=rpt.stage_of(problem.code),
            code=problem.code,
            message=problem.message,
            file=problem.file,
            section=problem.section,
            row=problem.row,
            line=problem.line,
            column=problem.column,
            value=problem.value,
            suggestion=problem.suggestion,
        )


@strawberry.type(description="How often one kind of problem occurs in the file.")
class ImportProblemCount:
    code: ImportProblemCode
    severity: ImportProblemSeverity
    stage: ImportProblemStage
    count: int


@strawberry.type
class ImportValueChange:
    column: str
    before: str | None
    after: str | None


@strawberry.type(description="A row and what the import does (or would do) with it.")
class ImportRowSample:
    action: str = strawberry.field(
        description="created, updated, unchanged, kept, skipped or implied."
    )
    row: int | None
    key: str = strawberry.field(description="What the row is about, by name.")
    changes: list[ImportValueChange]


@strawberry.type(
    description="What an import that wrote nothing because of errors would have done with "
    "one section's rows, had they been free of errors."
)
class ImportSectionPlan:
    created: int
    updated: int
    unchanged: int
    kept: int
    implied: int


@strawberry.type(description="What the import does with one section's rows.")
class ImportSectionReport:
    section: str
    rows: int
    created: int = strawberry.field(
        description="Rows created; in a preview, rows that would be created. 0 when an import "
        "wrote nothing (see wouldHave)."
    )
    updated: int = strawberry.field(description="As created, for rows that change an entity.")
    unchanged: int
    kept: int = strawberry.field(
        description="INFERRED rows not applied because a MANUAL or APPROVED edge exists."
    )
    skipped: int = strawberry.field(description="Rows with errors, not applied.")
    implied: int = strawberry.field(
        description="Rows describing implied table edges, which follow the field lineage."
    )
    would_have: ImportSectionPlan | None = strawberry.field(
        description="Set only when the import was refused and wrote nothing (outcome "
        "NOTHING_APPLIED): what the section's rows would have done."
    )
    samples: list[ImportRowSample] = strawberry.field(
        description="Up to 10 rows per action, in file order (in a report that wrote nothing, "
        "what each row would have done)."
    )

    @classmethod
    def from_model(cls, summary: rpt.SectionSummary, *, refused: bool) -> ImportSectionReport:
        plan = ImportSectionPlan(
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            kept=summary.kept,
            implied=summary.implied,
        )
        done = ImportSectionPlan(created=0, updated=0, unchanged=0, kept=0, implied=0)
        counts = done if refused else plan
        return cls(
            section=summary.section,
            rows=summary.rows,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            kept=counts.kept,
            skipped=summary.skipped,
            implied=counts.implied,
            would_have=plan if refused else None,
            samples=[
                ImportRowSample(
                    action=s.action,
                    row=s.row,
                    key=s.key,
                    changes=[
                        ImportValueChange(column=c, before=_text(b), after=_text(a))
                        for c, b, a in s.changes
                    ],
                )
                for s in summary.samples
            ],
        )


@strawberry.type(description="What an import found and did.")
class ImportReport:
    outcome: ImportOutcome | None
    format_version: int | None
    written: bool = strawberry.field(
        description="Whether the import wrote anything. False for a preview and for an "
        "import that was refused (errors, ALL_OR_NOTHING) or could not read its file."
    )
    summary: str = strawberry.field(
        description="One sentence: what was written, or that nothing was and what would have been."
    )
    error_count: int
    warning_count: int
    problems_truncated: bool = strawberry.field(
        description="True when more problems were found than are listed; `problemCounts` "
        "counts them all."
    )
    sections: list[ImportSectionReport]
    problem_counts: list[ImportProblemCount]
    _problems: strawberry.Private[list[rpt.Problem]]

    @strawberry.field(
        description="Problems in file order: the file as a whole first, then by section "
        "(sources, tables, fields, table_lineage, field_lineage) and row, whichever check "
        "found them (at most 1000 are kept: the first in file order)."
    )
    def problems(
        self, severity: ImportProblemSeverity | None = None, first: int | None = None
    ) -> list[ImportProblem]:
        chosen = [p for p in self._problems if severity is None or p.severity is severity]
        if first is not None:
            chosen = chosen[: max(first, 0)]
        return [ImportProblem.from_model(p) for p in chosen]

    @classmethod
    def from_model(cls, report: rpt.Report) -> ImportReport:
        return cls(
            outcome=report.outcome,
            format_version=report.format_version,
            written=report.written,
            summary=report.summary(),
            error_count=report.error_count,
            warning_count=report.warning_count,
            problems_truncated=report.truncated,
            sections=[
                ImportSectionReport.from_model(
                    s, refused=report.outcome is rpt.Outcome.NOTHING_APPLIED
                )
                for s in report.sections.values()
            ],
            problem_counts=[
                ImportProblemCount(
                    code=code, severity=rpt.severity_of(code), stage=rpt.stage_of(code), count=count
                )
                for code, count in sorted(report.counts.items(), key=lambda kv: kv[0].value)
            ],
            _problems=report.problems,
        )


@strawberry.type(name="ImportJob", description="An import of a file: its progress and report.")
class ImportJobNode:
    id: strawberry.ID
    status: ImportJobStatus
    file_name: str
    format: TransferFormat
    dry_run: bool
    mode: ImportMode
    allow_downgrade: bool
    actor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    phase: ImportPhase
    rows_total: int | None = strawberry.field(description="Rows in the file, once it is read.")
    rows_parsed: int
    rows_validated: int
    rows_written: int = strawberry.field(
        description="Rows written so far, in the import's transaction (0 if it was rolled back)."
    )
    outcome: ImportOutcome | None
    report: ImportReport | None = strawberry.field(description="Set when the job has finished.")
    failure: str | None = strawberry.field(description="Why a FAILED or INTERRUPTED job stopped.")

    @classmethod
    def from_model(cls, job: service.ImportJob) -> ImportJobNode:
        return cls(
            id=strawberry.ID(job.id),
            status=job.status,
            file_name=job.file_name,
            format=job.encoding,
            dry_run=job.dry_run,
            mode=job.mode,
            allow_downgrade=job.allow_downgrade,
            actor=job.actor,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            phase=job.progress.phase,
            rows_total=job.progress.rows_total,
            rows_parsed=job.progress.rows_parsed,
            rows_validated=job.progress.rows_validated,
            rows_written=job.progress.rows_written,
            outcome=job.outcome,
            report=ImportReport.from_model(job.report) if job.report else None,
            failure=job.failure,
        )


@strawberry.input(description="A file to import and how.")
class ImportCatalogInput:
    file: Upload = strawberry.field(
        description="The file, sent with the GraphQL multipart request spec: .xlsx, .csv, .zip "
        "of CSV files, .json or .yaml."
    )
    format: TransferFormat | None = strawberry.field(
        default=None, description="Overrides the format told by the file name."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Preview: report what would change, write nothing."
    )
    mode: ImportMode = service.ImportMode.ALL_OR_NOTHING
    allow_downgrade: bool = strawberry.field(
        default=False,
        description="Let the file downgrade APPROVED lineage (to MANUAL, pending review). "
        "Without it such rows are errors.",
    )
    wait: bool = strawberry.field(
        default=False,
        description="Return the job when it has finished, with its report, instead of at once. "
        "For small files; follow large ones with importJob or importJobProgress.",
    )


@strawberry.type
class ImportCatalogSuccess:
    job: ImportJobNode


ImportCatalogResult = Annotated[
    ImportCatalogSuccess | ValidationErrorType | NotFoundErrorType | ConflictErrorType,
    strawberry.union("ImportCatalogResult"),
]


def _service(info: Info) -> service.ImportService:
    return service.ImportService(
        info.context.store,
        actor=info.context.actor,
        broker=info.context.broker,
        job_retention_days=info.context.settings.import_job_retention_days,
    )


@strawberry.type
class ImportQuery:
    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="An import job by id, with its progress and (when finished) "
        "its report (file names, cell values); null when there is none, or when it is "
        "someone else's and you are not an ADMIN.",
    )
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJobNode | None:
        job = await _service(info).job(str(id))
        principal = info.context.principal
        if job is None or principal is None:
            return None
        if job.actor != principal.username and not principal.allows(Role.ADMIN):
            return None  # the same answer as for no job: ids reveal nothing
        return ImportJobNode.from_model(job)


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors()],
        description="Import a file in the interchange format (sources, tables, fields, table "
        "and field lineage) as a job. Preview with dryRun first: it reports what would be "
        "created, updated or left unchanged, and every problem, without writing.",
    )
    async def import_catalog(self, info: Info, input: ImportCatalogInput) -> ImportCatalogResult:
        principal = info.context.principal
        if input.allow_downgrade and principal and not principal.allows(Role.STEWARD):
            raise forbidden(principal, Role.STEWARD, "import with allowDowngrade")
        imports = _service(info)
        # Before the upload is copied: a refused import costs no spooling.
        service.check_capacity(info.context.actor)
        path, name = await save_upload(input.file, field="input.file")
        job = await imports.submit(
            path=path,
            file_name=name,
            options=service.ImportOptions(
                dry_run=input.dry_run,
                mode=input.mode,
                allow_downgrade=input.allow_downgrade,
                may_review=principal is not None and principal.allows(Role.STEWARD),
                may_manage_sources=principal is not None and principal.allows(Role.ADMIN),
                encoding=input.format,
            ),
        )
        if input.wait:
            job = await imports.wait(job.id)
        return ImportCatalogSuccess(job=ImportJobNode.from_model(job))


@strawberry.type
class ImportSubscription:
    @strawberry.subscription(
        extensions=requires(Role.VIEWER),
        description="An import job as it runs: its state now, then each progress update, "
        "ending with the finished job and its report.",
    )
    async def import_job_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[ImportJobNode, None]:
        # Checked again while it runs, like every subscription: a subscriber disabled or
        # demoted meanwhile stops receiving the job's progress and report.
        async for job in while_allowed(info, Role.VIEWER, _job_updates(info, str(id))):
            yield job


async def _job_updates(info: Info, job_id: str) -> AsyncGenerator[ImportJobNode, None]:
    imports = _service(info)

    async def load() -> service.ImportJob:
        job = await imports.job(job_id)
        principal = info.context.principal
        if job is not None and principal is not None:
            if job.actor != principal.username and not principal.allows(Role.ADMIN):
                job = None  # someone else's report: as if there were none
        if job is None:
            raise NotFoundError(
                f"No import job has the id '{job_id}'; check the id returned by importCatalog.",
                field="id",
            )
        return job

    async for job in follow_job(info.context.broker, service.job_topic(job_id), load):
        yield ImportJobNode.from_model(job)
