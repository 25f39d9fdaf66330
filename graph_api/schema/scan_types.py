"""The GraphQL types of source scans: namespaces a source holds, scan jobs, their progress and
report."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from graph_api.connectors.base import NamespaceInfo
from graph_api.schema.enums import ImportJobStatus, ScanFailure, ScanPhase, ScanTrigger, TableKind
from graph_api.services.scans import jobs


@strawberry.type(description="How many objects of one kind a namespace holds.")
class KindCount:
    kind: TableKind
    count: int


@strawberry.type(
    description="A namespace of a source: a PostgreSQL or Oracle schema, a MySQL or MongoDB "
    "database, an Elasticsearch cluster's indices."
)
class Namespace:
    name: str
    comment: str | None
    counts: list[KindCount]
    total: int = strawberry.field(description="Tables, views and collections in all.")

    @classmethod
    def from_model(cls, info: NamespaceInfo) -> Namespace:
        counts = [KindCount(kind=k, count=n) for k, n in sorted(info.counts.items(), key=_kind)]
        return cls(
            name=info.name, comment=info.comment, counts=counts, total=sum(info.counts.values())
        )


def _kind(item: tuple[TableKind, int]) -> str:
    return item[0].value


@strawberry.type(description="How far a scan is.")
class ScanProgress:
    phase: ScanPhase
    namespaces_total: int | None
    namespaces_read: int
    tables_read: int
    tables_written: int = strawberry.field(
        description="Tables added or changed in batches written so far (a dry run writes none)."
    )


@strawberry.type(description="A column whose catalog entry differs from the source.")
class ScanColumnChange:
    name: str
    before: JSON = strawberry.field(description="attribute -> the catalog's value")
    after: JSON = strawberry.field(description="attribute -> the source's value")


@strawberry.type(description="One table of a scan's report.")
class ScanTableEntry:
    qualified_name: str
    table_id: strawberry.ID | None = strawberry.field(
        description="The catalog's table (null for one a dry run would add)."
    )
    columns_added: list[str]
    columns_removed: list[str] = strawberry.field(
        description="Columns the source no longer has: marked missing (or removed)."
    )
    columns_changed: list[ScanColumnChange]

    @classmethod
    def from_model(cls, entry: jobs.TableEntry) -> ScanTableEntry:
        return cls(
            qualified_name=entry.qualified_name,
            table_id=strawberry.ID(entry.table_id) if entry.table_id else None,
            columns_added=entry.columns_added,
            columns_removed=entry.columns_removed,
            columns_changed=[
                ScanColumnChange(
                    name=c.name, before=cast(JSON, c.before), after=cast(JSON, c.after)
                )
                for c in entry.columns_changed
            ],
        )


@strawberry.type(description="What a scan could not read, and why; the scan went on.")
class ScanWarningEntry:
    namespace: str
    table: str | None
    reason: str
    message: str


@strawberry.type(description="What a scan found and did.")
class ScanReport:
    dry_run: bool
    written: bool = strawberry.field(description="Whether anything was written.")
    summary: str
    added: list[ScanTableEntry]
    changed: list[ScanTableEntry]
    unchanged: list[str] = strawberry.field(description="Qualified names of unchanged tables.")
    missing: list[ScanTableEntry] = strawberry.field(
        description="Tables in the catalog the source no longer has, newly marked missing."
    )
    removed: list[strawberry.ID] = strawberry.field(
        description="Tables and fields deleted because the scan asked for removeMissing."
    )
    warnings: list[ScanWarningEntry]
    batches_written: int

    @classmethod
    def from_model(cls, report: jobs.ScanReport) -> ScanReport:
        return cls(
            dry_run=report.dry_run,
            written=report.written,
            summary=report.summary,
            added=[ScanTableEntry.from_model(t) for t in report.added],
            changed=[ScanTableEntry.from_model(t) for t in report.changed],
            unchanged=report.unchanged,
            missing=[ScanTableEntry.from_model(t) for t in report.missing],
            removed=[strawberry.ID(i) for i in report.removed],
            warnings=[
                ScanWarningEntry(
                    namespace=w.namespace, table=w.table, reason=w.reason, message=w.message
                )
                for w in report.warnings
            ],
            batches_written=report.batches_written,
        )


@strawberry.type(name="ScanJob", description="One scan of a source, as it runs and once it ended.")
class ScanJobNode:
    id: strawberry.ID
    source_id: strawberry.ID
    source_name: str
    status: ImportJobStatus
    trigger: ScanTrigger
    namespaces: list[str] = strawberry.field(description="As asked; empty: every namespace.")
    include: list[str]
    exclude: list[str]
    kinds: list[TableKind] | None
    dry_run: bool
    remove_missing: bool
    actor: str = strawberry.field(description="Who started it ('schedule' for a scheduled scan).")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: ScanProgress
    report: ScanReport | None = strawberry.field(
        description="Once it ended (a failed scan's report says what was written before)."
    )
    failure_reason: ScanFailure | None
    failure: str | None = strawberry.field(description="What happened and what to do.")

    @classmethod
    def from_model(cls, job: jobs.ScanJob) -> ScanJobNode:
        o, p = job.options, job.progress
        return cls(
            id=strawberry.ID(job.id),
            source_id=strawberry.ID(job.source_id),
            source_name=job.source_name,
            status=job.status,
            trigger=o.trigger,
            namespaces=list(o.namespaces),
            include=list(o.include),
            exclude=list(o.exclude),
            kinds=sorted(o.kinds, key=lambda k: k.value) if o.kinds else None,
            dry_run=o.dry_run,
            remove_missing=o.remove_missing,
            actor=job.actor,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            progress=ScanProgress(
                phase=p.phase,
                namespaces_total=p.namespaces_total,
                namespaces_read=p.namespaces_read,
                tables_read=p.tables_read,
                tables_written=p.tables_written,
            ),
            report=ScanReport.from_model(job.report) if job.report else None,
            failure_reason=job.failure_reason,
            failure=job.failure,
        )
