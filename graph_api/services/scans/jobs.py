"""Scan jobs: what a scan is asked to do (options), how far it is (progress), what it found
(the report), and the job as recorded in Neo4j (:ScanJob); the scans running in this process
(a `JobRunner`, the same as imports)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from graph_api.models import TableKind
from graph_api.services.jobs import FINISHED, JobRunner, JobStatus

__all__ = ["JobStatus"]

# Tables written per transaction: a batch is applied whole or not at all.
BATCH_TABLES = 100


def job_topic(job_id: str) -> str:
    return f"scan-job:{job_id}"


class Phase(Enum):
    QUEUED = "QUEUED"
    DISCOVERING = "DISCOVERING"
    READING = "READING"  # reading namespaces; in a scan that writes, each batch as it is read
    MARKING_MISSING = "MARKING_MISSING"
    DONE = "DONE"


class Trigger(Enum):
    MANUAL = "MANUAL"
    SCHEDULE = "SCHEDULE"


class ScanFailure(Enum):
    """Why a scan did not run to its end; each comes with a sentence saying what to do."""

    UNKNOWN_NAMESPACE = "UNKNOWN_NAMESPACE"
    NOTHING_MATCHED = "NOTHING_MATCHED"
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"
    SERVICE_RESTARTED = "SERVICE_RESTARTED"
    CANCELLED = "CANCELLED"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True, kw_only=True)
class ScanOptions:
    namespaces: tuple[str, ...] = ()  # none: every namespace the source holds
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    kinds: frozenset[TableKind] | None = None
    dry_run: bool = False
    # Delete what the source no longer has, instead of marking it missing.
    remove_missing: bool = False
    trigger: Trigger = Trigger.MANUAL


@dataclass
class Progress:
    phase: Phase = Phase.QUEUED
    namespaces_total: int | None = None
    namespaces_read: int = 0
    tables_read: int = 0
    tables_written: int = 0

    def as_props(self) -> dict[str, Any]:
        return {
            "phase": self.phase.value,
            "namespaces_total": self.namespaces_total,
            "namespaces_read": self.namespaces_read,
            "tables_read": self.tables_read,
            "tables_written": self.tables_written,
        }


@dataclass(frozen=True)
class ColumnChangeEntry:
    name: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class TableEntry:
    qualified_name: str
    table_id: str | None
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    columns_changed: list[ColumnChangeEntry] = field(default_factory=list)


@dataclass(frozen=True)
class WarningEntry:
    namespace: str
    table: str | None
    reason: str
    message: str


@dataclass
class ScanReport:
    dry_run: bool
    written: bool = False
    added: list[TableEntry] = field(default_factory=list)
    changed: list[TableEntry] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[TableEntry] = field(default_factory=list)  # newly marked (or removed)
    removed: list[str] = field(default_factory=list)  # ids deleted by remove_missing
    warnings: list[WarningEntry] = field(default_factory=list)
    batches_written: int = 0

    @property
    def summary(self) -> str:
        counts = (
            f"{len(self.added)} table(s) added, {len(self.changed)} changed, "
            f"{len(self.unchanged)} unchanged, {len(self.missing)} missing from the source"
        )
        columns = sum(len(t.columns_removed) for t in self.changed)
        if columns:
            counts += f" ({columns} column(s) missing from tables still there)"
        warned = f"; {len(self.warnings)} warning(s)" if self.warnings else ""
        if self.dry_run:
            return f"Dry run: nothing was written. Applying it would do this: {counts}{warned}."
        if not self.written:
            return f"Nothing changed in the source; nothing was written ({counts}{warned})."
        return f"{counts[0].upper()}{counts[1:]}{warned}."

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> ScanReport:
        raw = json.loads(text)

        def table(item: dict[str, Any]) -> TableEntry:
            return TableEntry(
                item["qualified_name"],
                item.get("table_id"),
                item.get("columns_added", []),
                item.get("columns_removed", []),
                [ColumnChangeEntry(**c) for c in item.get("columns_changed", [])],
            )

        return cls(
            dry_run=raw["dry_run"],
            written=raw["written"],
            added=[table(t) for t in raw["added"]],
            changed=[table(t) for t in raw["changed"]],
            unchanged=raw["unchanged"],
            missing=[table(t) for t in raw["missing"]],
            removed=raw.get("removed", []),
            warnings=[WarningEntry(**w) for w in raw["warnings"]],
            batches_written=raw.get("batches_written", 0),
        )


def _native(value: Any) -> datetime | None:
    to_native = getattr(value, "to_native", None)
    return to_native() if callable(to_native) else value


@dataclass(frozen=True, kw_only=True)
class ScanJob:
    id: str
    source_id: str
    source_name: str
    status: JobStatus
    options: ScanOptions
    actor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: Progress
    report: ScanReport | None
    failure: str | None
    failure_reason: ScanFailure | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> ScanJob:
        kinds = row.get("kinds")
        return cls(
            id=row["id"],
            source_id=row["source_id"],
            source_name=row.get("source_name") or "",
            status=JobStatus(row["status"]),
            options=ScanOptions(
                namespaces=tuple(row.get("namespaces") or ()),
                include=tuple(row.get("include") or ()),
                exclude=tuple(row.get("exclude") or ()),
                kinds=frozenset(TableKind(k) for k in kinds) if kinds else None,
                dry_run=bool(row.get("dry_run")),
                remove_missing=bool(row.get("remove_missing")),
                trigger=Trigger(row.get("trigger") or "MANUAL"),
            ),
            actor=row["actor"],
            created_at=_native(row["created_at"]),  # type: ignore[arg-type]
            started_at=_native(row.get("started_at")),
            finished_at=_native(row.get("finished_at")),
            progress=Progress(
                phase=Phase(row.get("phase") or "QUEUED"),
                namespaces_total=row.get("namespaces_total"),
                namespaces_read=row.get("namespaces_read") or 0,
                tables_read=row.get("tables_read") or 0,
                tables_written=row.get("tables_written") or 0,
            ),
            report=ScanReport.from_json(row["report"]) if row.get("report") else None,
            failure=row.get("failure"),
            failure_reason=ScanFailure(row["failure_reason"])
            if row.get("failure_reason")
            else None,
        )


def options_props(options: ScanOptions) -> dict[str, Any]:
    return {
        "namespaces": list(options.namespaces),
        "include": list(options.include),
        "exclude": list(options.exclude),
        "kinds": sorted(k.value for k in options.kinds) if options.kinds else None,
        "dry_run": options.dry_run,
        "remove_missing": options.remove_missing,
        "trigger": options.trigger.value,
    }


# Scans running at once in this process: each holds a connector thread and a Neo4j session.
MAX_SCANS_PER_USER = 4
MAX_SCANS_RUNNING = 4
SCANS: JobRunner[ScanJob] = JobRunner(
    "scan",
    per_actor=MAX_SCANS_PER_USER,
    in_process=MAX_SCANS_RUNNING,
    follow="follow them with scanJob or scanJobProgress",
)
