"""Source scans in GraphQL: discover a source, start a scan (or a dry run), follow it, read past
scans, put a source on a schedule, confirm the removal of what a scan found gone."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.errors import NotFoundError
from graph_api.schema.common import (
    ConflictErrorType,
    NotFoundErrorType,
    ValidationErrorType,
    page_size,
)
from graph_api.schema.enums import TableKind
from graph_api.schema.nodes import SourceNode
from graph_api.schema.permissions import requires, while_allowed
from graph_api.schema.scan_types import Namespace, ScanJobNode
from graph_api.schema.user_errors import UserErrors
from graph_api.services.jobs import follow_job
from graph_api.services.scans.jobs import ScanJob, ScanOptions, job_topic
from graph_api.services.scans.removal import remove_missing


@strawberry.input(description="What to scan. Patterns are globs matched against whole names.")
class StartScanInput:
    source_id: strawberry.ID
    namespaces: list[str] = strawberry.field(
        default_factory=list,
        description="Schemas or databases to read (discoverSource lists them); empty: all.",
    )
    include: list[str] = strawberry.field(
        default_factory=list, description="Only tables matching one of these, e.g. 'orders_*'."
    )
    exclude: list[str] = strawberry.field(
        default_factory=list, description="No table matching one of these."
    )
    kinds: list[TableKind] | None = strawberry.field(
        default=None, description="Only these kinds (tables, views, ...); null: all."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Read and report what would change; write nothing."
    )
    remove_missing: bool = strawberry.field(
        default=False,
        description="Delete what the source no longer has (with its lineage) instead of "
        "marking it missing.",
    )

    def options(self) -> ScanOptions:
        return ScanOptions(
            namespaces=tuple(self.namespaces),
            include=tuple(self.include),
            exclude=tuple(self.exclude),
            kinds=frozenset(self.kinds) if self.kinds else None,
            dry_run=self.dry_run,
            remove_missing=self.remove_missing,
        )


@strawberry.input(description="When Clew scans a source by itself.")
class ScanScheduleInput:
    cron: str = strawberry.field(description="Five fields, e.g. '30 2 * * *' for 02:30 daily.")
    time_zone: str = strawberry.field(default="UTC", description="An IANA time zone.")
    enabled: bool = True
    namespaces: list[str] = strawberry.field(
        default_factory=list, description="What to scan; empty: every namespace."
    )


@strawberry.type
class DiscoverSourceSuccess:
    source: SourceNode
    namespaces: list[Namespace]


@strawberry.type
class StartScanSuccess:
    job: ScanJobNode


@strawberry.type
class ScanScheduleSuccess:
    source: SourceNode


@strawberry.type
class RemoveMissingSuccess:
    removed_ids: list[strawberry.ID]


Errors = ValidationErrorType | NotFoundErrorType | ConflictErrorType
DiscoverSourceResult = Annotated[
    DiscoverSourceSuccess | Errors, strawberry.union("DiscoverSourceResult")
]
StartScanResult = Annotated[StartScanSuccess | Errors, strawberry.union("StartScanResult")]
ScheduleResult = Annotated[ScanScheduleSuccess | Errors, strawberry.union("ScanScheduleResult")]
RemoveMissingResult = Annotated[
    RemoveMissingSuccess | Errors, strawberry.union("RemoveMissingResult")
]


@strawberry.type
class ScanQuery:
    @strawberry.field(
        extensions=[*requires(Role.EDITOR), UserErrors({"source.id": "sourceId"})],
        description="What a source holds (schemas, databases, indices, each with how many "
        "tables, views or collections), read from the source now; saves nothing.",
    )
    async def discover_source(self, info: Info, source_id: strawberry.ID) -> DiscoverSourceResult:
        source, found = await info.context.services.scans.discover(str(source_id))
        return DiscoverSourceSuccess(
            source=SourceNode.from_model(source),
            namespaces=[Namespace.from_model(n) for n in found],
        )

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="One scan job, with its progress and (once ended) its report.",
    )
    async def scan_job(self, info: Info, id: strawberry.ID) -> ScanJobNode | None:
        job = await info.context.services.scans.job(str(id))
        return ScanJobNode.from_model(job) if job else None

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors({"source.id": "sourceId"})],
        description="A source's scans, newest first.",
    )
    async def scan_jobs(
        self, info: Info, source_id: strawberry.ID, first: int = 20
    ) -> list[ScanJobNode]:
        limit = page_size(first, default=20, maximum=200, argument="first")
        found = await info.context.services.scans.jobs_of_source(str(source_id), limit=limit)
        return [ScanJobNode.from_model(j) for j in found]


@strawberry.type
class ScanMutation:
    @strawberry.mutation(
        extensions=[
            *requires(Role.EDITOR),
            UserErrors({"source.id": "input.sourceId", "scan": "input"}),
        ],
        description="Scan a source into the catalog (or dry-run it) as a job; follow it with "
        "scanJob or scanJobProgress. One scan of a source runs at a time.",
    )
    async def start_scan(self, info: Info, input: StartScanInput) -> StartScanResult:
        job = await info.context.services.scans.start(
            str(input.source_id), input.options(), actor=info.context.actor
        )
        return StartScanSuccess(job=ScanJobNode.from_model(job))

    @strawberry.mutation(
        extensions=[
            *requires(Role.ADMIN),
            UserErrors({"source.id": "sourceId", "schedule": "input"}),
        ],
        description="Put a source on a scan schedule (or change or disable it).",
    )
    async def set_scan_schedule(
        self, info: Info, source_id: strawberry.ID, input: ScanScheduleInput
    ) -> ScheduleResult:
        source = await info.context.services.schedules.set_schedule(
            str(source_id),
            cron=input.cron,
            time_zone=input.time_zone,
            enabled=input.enabled,
            namespaces=list(input.namespaces),
            actor=info.context.actor,
        )
        return ScanScheduleSuccess(source=SourceNode.from_model(source))

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors()],
        description="Confirm the removal of tables and fields a scan found gone from their "
        "source (marked missing): each is deleted with its lineage, and its history stays. "
        "Refused, with nothing removed, when one of them is not missing.",
    )
    async def remove_missing(self, info: Info, ids: list[strawberry.ID]) -> RemoveMissingResult:
        services = info.context.services
        removed = await remove_missing(
            services.store, services.catalog, [str(i) for i in ids], actor=info.context.actor
        )
        return RemoveMissingSuccess(removed_ids=[strawberry.ID(i) for i in removed])


@strawberry.type
class ScanSubscription:
    @strawberry.subscription(
        extensions=requires(Role.VIEWER),
        description="A scan job as it runs: its state now, then each progress update, ending "
        "with the finished job and its report.",
    )
    async def scan_job_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[ScanJobNode, None]:
        async for job in while_allowed(info, Role.VIEWER, _job_updates(info, str(id))):
            yield job


async def _job_updates(info: Info, job_id: str) -> AsyncGenerator[ScanJobNode, None]:
    scans = info.context.services.scans

    async def load() -> ScanJob:
        job = await scans.job(job_id)
        if job is None:
            raise NotFoundError(
                f"No scan job has the id '{job_id}'; check the id returned by startScan.",
                field="id",
            )
        return job

    async for job in follow_job(info.context.broker, job_topic(job_id), load):
        yield ScanJobNode.from_model(job)
