"""Import jobs: what an import is asked to do (options), how far it is (progress), and the job
as recorded in Neo4j (:ImportJob); the imports running in this process (a `JobRunner`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from graph_api.errors import ValidationError
from graph_api.interchange import codecs
from graph_api.interchange.format import Encoding
from graph_api.interchange.report import DEFAULT_MAX_PROBLEMS, Outcome, Report
from graph_api.services.jobs import FINISHED, JobRunner, JobStatus

__all__ = ["JobStatus"]

DEFAULT_BATCH_SIZE = 1000


MAX_BATCH_SIZE = 10_000


def job_topic(job_id: str) -> str:
    return f"import-job:{job_id}"


class ImportMode(Enum):
    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    SKIP_INVALID = "SKIP_INVALID"


class Phase(Enum):
    QUEUED = "QUEUED"
    PARSING = "PARSING"
    VALIDATING = "VALIDATING"  # planning; in an import that writes, batches are written as planned
    DONE = "DONE"


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    dry_run: bool = False
    mode: ImportMode = ImportMode.ALL_OR_NOTHING
    allow_downgrade: bool = False
    # False for an importer who may not approve or reject lineage (below STEWARD).
    may_review: bool = True
    # False for an importer who may not create or change sources (below ADMIN).
    may_manage_sources: bool = True
    encoding: Encoding | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    max_problems: int = DEFAULT_MAX_PROBLEMS


@dataclass
class Progress:
    phase: Phase = Phase.QUEUED
    rows_total: int | None = None
    rows_parsed: int = 0
    rows_validated: int = 0
    rows_written: int = 0

    def as_props(self) -> dict[str, Any]:
        return {
            "phase": self.phase.value,
            "rows_total": self.rows_total,
            "rows_parsed": self.rows_parsed,
            "rows_validated": self.rows_validated,
            "rows_written": self.rows_written,
        }


def _native(value: Any) -> datetime | None:
    to_native = getattr(value, "to_native", None)
    return to_native() if callable(to_native) else value


@dataclass(frozen=True, kw_only=True)
class ImportJob:
    id: str
    status: JobStatus
    file_name: str
    encoding: Encoding
    dry_run: bool
    mode: ImportMode
    allow_downgrade: bool
    actor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: Progress
    outcome: Outcome | None
    report: Report | None
    failure: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> ImportJob:
        report = Report.from_dict(json.loads(row["report"])) if row.get("report") else None
        return cls(
            id=row["id"],
            status=JobStatus(row["status"]),
            file_name=row["file_name"],
            encoding=Encoding(row["encoding"]),
            dry_run=bool(row["dry_run"]),
            mode=ImportMode(row["mode"]),
            allow_downgrade=bool(row.get("allow_downgrade", False)),
            actor=row["actor"],
            created_at=_native(row["created_at"]),  # type: ignore[arg-type]
            started_at=_native(row.get("started_at")),
            finished_at=_native(row.get("finished_at")),
            progress=Progress(
                phase=Phase(row.get("phase") or "QUEUED"),
                rows_total=row.get("rows_total"),
                rows_parsed=row.get("rows_parsed") or 0,
                rows_validated=row.get("rows_validated") or 0,
                rows_written=row.get("rows_written") or 0,
            ),
            outcome=Outcome(row["outcome"]) if row.get("outcome") else None,
            report=report,
            failure=row.get("failure"),
        )


# Imports (previews too) running at once in this process: reading and checking a file keeps a
# core busy, so a few uploads at once would slow every other request down.
MAX_IMPORTS_PER_USER = 2
MAX_IMPORTS_RUNNING = 4
IMPORTS: JobRunner[ImportJob] = JobRunner(
    "import",
    per_actor=MAX_IMPORTS_PER_USER,
    in_process=MAX_IMPORTS_RUNNING,
    follow="follow them with importJob or importJobProgress",
)


def check_capacity(actor: str) -> None:
    """Refuse an import when too many are running (before its upload is even read)."""
    IMPORTS.check_capacity(actor)


async def stop_running_imports(*, grace: float = 0.0) -> None:
    """At shutdown, before the driver closes: running imports may finish for `grace`
    seconds; cancelling the rest rolls back each one's single transaction, so nothing partial
    stays behind, and marks them interrupted."""
    await IMPORTS.stop_all(grace=grace)


def encoding_of(file_name: str, path: Path, given: Encoding | None) -> Encoding:
    if given is not None:
        return given
    with path.open("rb") as probe:
        head = probe.read(16)
    found = codecs.detect_encoding(file_name, head)
    if found is None:
        raise ValidationError(
            f"Clew cannot tell the format of '{file_name}'. Name the file with .xlsx, .csv, "
            ".zip (CSV files), .json or .yaml at the end, or choose the format.",
            field="format",
        )
    return found


# How long finished import jobs (and their reports) are kept.
DEFAULT_JOB_RETENTION_DAYS = 30
