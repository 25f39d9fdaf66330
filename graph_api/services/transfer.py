"""Bulk import and export: jobs, the one transaction an import writes in, and the streamed
export. The API, the CLI and the benchmark all go through this module.

An import runs in two passes. The first (`transfer.validate`) reads the file once, in a worker
thread, checking syntax and schema and spooling rows to disk. The second plans each section a
batch at a time (`transfer.plan`) and, unless it is a preview, writes each batch with one
UNWIND statement per kind, all in a single Neo4j write transaction: if anything fails part way,
or the process dies, Neo4j rolls the whole import back. In ALL_OR_NOTHING mode the first error
stops the writing (planning goes on, to report every problem) and the transaction is rolled
back at the end; in SKIP_INVALID mode the valid rows are written and the invalid reported.

Every import is a job recorded in Neo4j (:ImportJob) with its progress and report. Progress
is written and published on the broker at most twice a second while the job runs. An import
that writes records its final status in its own transaction, so the job and the catalog always
agree, whenever the process stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from neo4j.exceptions import (
    ConstraintError,
    ForbiddenOnReadOnlyDatabase,
    Neo4jError,
    NotALeader,
    SessionExpired,
    TransientError,
)

from graph_api import shutdown
from graph_api.errors import RateLimitedError, ValidationError
from graph_api.events import CATALOG_TOPIC, Broker, CatalogEvent
from graph_api.lineage_rules import ImpliedAction
from graph_api.models import MANUAL_SOURCE_KEY, LineageLevel
from graph_api.services.lineage import implied_audit, refresh_implied
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.lineage import LineageRepository
from graph_api.store.transfer import CatalogLookups, TransferRepository
from graph_api.transfer import readers, validate
from graph_api.transfer.format import (
    FIELD_LINEAGE,
    FIELDS,
    SECTIONS,
    SOURCES,
    TABLE_LINEAGE,
    TABLES,
    Encoding,
    Section,
    suggest,
)
from graph_api.transfer.plan import AuditEntry, BatchPlan, Planner
from graph_api.transfer.report import (
    DEFAULT_MAX_PROBLEMS,
    Outcome,
    Problem,
    ProblemCode,
    Report,
    copy_report,
)
from graph_api.transfer.writers import create_writer

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 10_000
EXPORT_PAGE_SIZE = 1000
# Per-entity change events for imports up to this many changes; above it one IMPORT event.
MAX_CHANGE_EVENTS = 1000
PROGRESS_INTERVAL = 0.5  # seconds between progress writes while something changes
HEARTBEAT_INTERVAL = 10.0
# A running job whose heartbeat is older than this belongs to a process that stopped.
STALE_AFTER_SECONDS = 120


def job_topic(job_id: str) -> str:
    return f"import-job:{job_id}"


class ImportMode(Enum):
    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    SKIP_INVALID = "SKIP_INVALID"


class JobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"  # the import ran to its end; the report says what it did
    FAILED = "FAILED"  # something unexpected went wrong; nothing was written
    INTERRUPTED = "INTERRUPTED"  # the service stopped during the import; nothing was written


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
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.INTERRUPTED)

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


class _TooLarge(Exception):
    """Neo4j ran out of transaction memory; not retried, reported to the importer."""

    def __init__(self, cause: Neo4jError) -> None:
        super().__init__(cause.message or str(cause))
        self.detail = cause.message or str(cause)


def _out_of_memory(exc: Neo4jError) -> bool:
    code = exc.code or ""
    return "MemoryPoolOutOfMemoryError" in code or "TransactionMemoryLimit" in code


class _Busy(Exception):
    """A transient conflict with other writers; the import was not retried (see _import)."""


class _LeaderChanged(Exception):
    """The cluster member the import wrote to stopped being the leader, or was lost: its
    transaction never committed (an incomplete commit, whose outcome is unknown, is not this)."""


class _Rollback(Exception):
    """Raised inside the import's transaction to roll it back, carrying the report."""

    def __init__(self, report: Report) -> None:
        super().__init__("import rolled back")
        self.report = report


# Jobs running in this process; the tasks are kept here so they are not garbage collected.


class CatalogChanged(Exception):
    """Another writer changed what an import planned to write; nothing is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_RUNNING: dict[str, asyncio.Task[ImportJob]] = {}

# Imports (previews too) running at once in this process: reading and checking a file keeps a
# core busy, so a few uploads at once would slow every other request down.
MAX_IMPORTS_PER_USER = 2
MAX_IMPORTS_RUNNING = 4
_ACTIVE: Counter[str] = Counter()  # actor -> imports running


def check_capacity(actor: str) -> None:
    """Refuse an import when too many are running (before its upload is even read)."""
    shutdown.refuse_new_jobs("imports")
    if _ACTIVE[actor] >= MAX_IMPORTS_PER_USER:
        raise RateLimitedError(
            f"You have {_ACTIVE[actor]} imports running, the most one person may run at once; "
            "try again when one finishes (follow them with importJob or importJobProgress).",
            retry_after=5.0,
        )
    if sum(_ACTIVE.values()) >= MAX_IMPORTS_RUNNING:
        raise RateLimitedError(
            f"Too many imports running ({MAX_IMPORTS_RUNNING}, the most Clew runs at once); "
            "try again when one finishes.",
            retry_after=5.0,
        )


def _acquire(actor: str) -> None:
    check_capacity(actor)
    _ACTIVE[actor] += 1


def _release(actor: str) -> None:
    _ACTIVE[actor] -= 1
    if _ACTIVE[actor] <= 0:
        del _ACTIVE[actor]


def encoding_of(file_name: str, path: Path, given: Encoding | None) -> Encoding:
    if given is not None:
        return given
    with path.open("rb") as probe:
        head = probe.read(16)
    found = readers.detect_encoding(file_name, head)
    if found is None:
        raise ValidationError(
            f"Clew cannot tell the format of '{file_name}'. Name the file with .xlsx, .csv, "
            ".zip (CSV files), .json or .yaml at the end, or choose the format.",
            field="format",
        )
    return found


# How long finished import jobs (and their reports) are kept.
DEFAULT_JOB_RETENTION_DAYS = 30


class TransferService:
    def __init__(
        self,
        store: Store,
        *,
        actor: str,
        broker: Broker | None = None,
        job_retention_days: int = DEFAULT_JOB_RETENTION_DAYS,
    ) -> None:
        self._store = store
        self._actor = actor
        self._broker = broker
        self._job_retention_days = job_retention_days
        self.repo = TransferRepository(store)

    # Jobs

    async def submit(
        self, *, path: Path, file_name: str, options: ImportOptions, owns_file: bool = True
    ) -> ImportJob:
        """Record a job and run it in the background; the file is removed when it ends.
        Refused (RATE_LIMITED) when too many imports are running."""
        actor = self._actor
        try:
            _acquire(actor)
            try:
                job = await self._create(
                    path=path, file_name=file_name, options=options, owns_file=owns_file
                )
            except BaseException:
                _release(actor)
                raise
        except BaseException:
            if owns_file:
                await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        task = asyncio.create_task(
            self._run(
                job,
                path=path,
                options=replace(options, encoding=job.encoding),
                owns_file=owns_file,
                on_progress=None,
            ),
            name=f"import-{job.id}",
        )
        _RUNNING[job.id] = task

        def done(_: object) -> None:
            _RUNNING.pop(job.id, None)
            _release(actor)

        task.add_done_callback(done)
        return job

    async def run(
        self,
        *,
        path: Path,
        file_name: str,
        options: ImportOptions,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> ImportJob:
        """Record a job and run it to the end here (the CLI and the benchmark)."""
        _acquire(self._actor)
        try:
            job = await self._create(
                path=path, file_name=file_name, options=options, owns_file=False
            )
            return await self._run(
                job,
                path=path,
                options=replace(options, encoding=job.encoding),
                owns_file=False,
                on_progress=on_progress,
            )
        finally:
            _release(self._actor)

    async def job(self, job_id: str) -> ImportJob | None:
        row = await self.repo.get_job(job_id)
        if row is None:
            return None
        if row["status"] in ("QUEUED", "RUNNING") and job_id not in _RUNNING:
            stopped = await self.repo.interrupt_job(
                job_id,
                stale_seconds=STALE_AFTER_SECONDS,
                failure="The service stopped while this import was running; nothing was "
                "written. Import the file again.",
            )
            row = stopped or row
        return ImportJob.from_record(row)

    async def wait(self, job_id: str) -> ImportJob:
        task = _RUNNING.get(job_id)
        if task is not None:
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if not task.cancelled() or (current is not None and current.cancelling()):
                    raise  # the waiter itself was cancelled: let it stop
                # The import was cancelled (the service is stopping); its record says so.
        job = await self.job(job_id)
        assert job is not None
        return job

    async def _create(
        self, *, path: Path, file_name: str, options: ImportOptions, owns_file: bool
    ) -> ImportJob:
        if not 1 <= options.batch_size <= MAX_BATCH_SIZE:
            raise ValidationError(
                f"The batch size must be between 1 and {MAX_BATCH_SIZE}, got {options.batch_size}.",
                field="batchSize",
            )
        try:
            encoding = encoding_of(file_name, path, options.encoding)
        except ValidationError:
            if owns_file:
                await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        await self.repo.prune_jobs(older_than_days=self._job_retention_days)
        row = await self.repo.create_job(
            {
                "id": str(uuid.uuid4()),
                "status": JobStatus.QUEUED.value,
                "file_name": file_name,
                "encoding": encoding.value,
                "dry_run": options.dry_run,
                "mode": options.mode.value,
                "allow_downgrade": options.allow_downgrade,
                "actor": self._actor,
                **Progress().as_props(),
            }
        )
        return ImportJob.from_record(row)

    async def _run(
        self,
        job: ImportJob,
        *,
        path: Path,
        options: ImportOptions,
        owns_file: bool,
        on_progress: Callable[[Progress], None] | None,
    ) -> ImportJob:
        progress = Progress(phase=Phase.PARSING)
        ticker = asyncio.create_task(self._tick(job.id, progress, on_progress))
        props: dict[str, Any]
        try:
            await self.repo.update_job(
                job.id, {"status": JobStatus.RUNNING.value, **progress.as_props()}, started=True
            )
            report = await self._import(job, path=path, options=options, progress=progress)
            props = _succeeded(report, progress)
            failed = False
        except asyncio.CancelledError:
            # The import's one transaction was rolled back: nothing was written.
            progress.phase, progress.rows_written = Phase.DONE, 0
            props = {
                "status": JobStatus.INTERRUPTED.value,
                "failure": "The import was cancelled; nothing was written.",
            }
            failed = True
            raise
        except Exception:
            log.exception("import job %s failed", job.id)
            progress.phase, progress.rows_written = Phase.DONE, 0
            props = {
                "status": JobStatus.FAILED.value,
                "failure": "Something went wrong on our side and nothing was written. It has "
                f"been logged; if it persists, report it with job id {job.id}.",
            }
            failed = True
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            if owns_file:
                await asyncio.to_thread(path.unlink, missing_ok=True)
            # An import that committed has already recorded its success in its transaction;
            # a failure after that (say, publishing its events) must not say nothing was
            # written.
            row = await asyncio.shield(
                self.repo.update_job(
                    job.id, {**props, **progress.as_props()}, finished=True, unless_finished=failed
                )
            )
            if row is None:
                row = await asyncio.shield(self.repo.get_job(job.id))
            if on_progress is not None:
                on_progress(progress)
        assert row is not None
        finished = ImportJob.from_record(row)
        if self._broker is not None:
            self._broker.publish(job_topic(job.id), finished)
        return finished

    async def _tick(
        self, job_id: str, progress: Progress, on_progress: Callable[[Progress], None] | None
    ) -> None:
        last: dict[str, Any] | None = None
        beat = time.monotonic()
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            now = progress.as_props()
            if on_progress is not None:
                on_progress(progress)
            if now == last and time.monotonic() - beat < HEARTBEAT_INTERVAL:
                continue
            last, beat = now, time.monotonic()
            try:
                row = await self.repo.update_job(job_id, now, unless_finished=True)
            except (Neo4jError, OSError) as exc:  # progress is best effort; the import goes on
                log.warning("could not record progress of import %s: %s", job_id, exc)
                continue
            if row is not None and self._broker is not None:
                self._broker.publish(job_topic(job_id), ImportJob.from_record(row))

    # The import itself

    async def _import(
        self, job: ImportJob, *, path: Path, options: ImportOptions, progress: Progress
    ) -> Report:
        first_pass = Report(max_problems=options.max_problems)
        assert options.encoding is not None

        def parsed_rows(count: int) -> None:
            progress.rows_parsed = count

        spool = await asyncio.to_thread(
            validate.parse,
            path,
            file_name=job.file_name,
            encoding=options.encoding,
            report=first_pass,
            progress=parsed_rows,
        )
        try:
            progress.rows_total = spool.total_rows
            progress.phase = Phase.VALIDATING
            comment = f"Imported from '{job.file_name}' (job {job.id})."
            if options.dry_run or spool.unreadable:
                report = copy_report(first_pass)
                await self._plan_all(
                    spool,
                    report,
                    CatalogLookups(self._store),
                    None,
                    options,
                    progress,
                    comment,
                    job.id,
                )
                report.outcome = Outcome.PREVIEWED if options.dry_run else Outcome.NOTHING_APPLIED
                return report

            async def work(tx: Tx) -> Report:
                progress.rows_validated = progress.rows_written = 0
                progress.phase = Phase.VALIDATING
                attempt = copy_report(first_pass)
                try:
                    events = await self._plan_all(
                        spool,
                        attempt,
                        CatalogLookups(self._store, tx),
                        tx,
                        options,
                        progress,
                        comment,
                        job.id,
                    )
                    if options.mode is ImportMode.ALL_OR_NOTHING and attempt.error_count:
                        raise _Rollback(attempt)
                    attempt.outcome = (
                        Outcome.PARTIALLY_APPLIED if attempt.error_count else Outcome.APPLIED
                    )
                    # The job's final status commits with the import, so that no crash
                    # between the two can leave a job saying nothing was written when it was.
                    await self.repo.update_job(
                        job.id, _succeeded(attempt, progress), finished=True, tx=tx
                    )
                except Neo4jError as exc:
                    if _out_of_memory(exc):
                        # Transient to the driver, but a retry would only hit the limit again.
                        raise _TooLarge(exc) from None
                    raise
                tx.after_commit.append(self._publisher(job, events))
                return attempt

            try:
                try:
                    # One attempt: a retry of a whole import would mostly meet the same
                    # memory limit again, after as long as the first try took.
                    return await self._store.transaction(work, retry=False)
                except Neo4jError as exc:
                    if _out_of_memory(exc):  # at commit
                        raise _TooLarge(exc) from None
                    if isinstance(exc, (NotALeader, ForbiddenOnReadOnlyDatabase)):
                        raise _LeaderChanged() from exc
                    if isinstance(exc, TransientError):
                        raise _Busy() from exc
                    raise
                except SessionExpired as exc:
                    raise _LeaderChanged() from exc
            except _Rollback as rollback:
                rollback.report.outcome = Outcome.NOTHING_APPLIED
                return rollback.report
            except _TooLarge as exc:
                report = copy_report(first_pass)
                report.add(
                    Problem(
                        ProblemCode.TRANSACTION_TOO_LARGE,
                        f"'{job.file_name}' is too large to import in one transaction on this "
                        "database: Neo4j's transaction memory limit was reached after "
                        f"{progress.rows_validated:,} of {progress.rows_total or 0:,} rows. "
                        "Nothing was written. Split the file (for example one file per "
                        "section, imported in order), or ask your administrator to give Neo4j "
                        "more memory (dbms.memory.transaction.total.max, or CLEW_NEO4J_HEAP "
                        "for the local Neo4j).",
                        file=job.file_name,
                        value=exc.detail,
                    )
                )
                report.outcome = Outcome.NOTHING_APPLIED
                return report
            except _Busy:
                report = copy_report(first_pass)
                report.add(
                    Problem(
                        ProblemCode.DATABASE_BUSY,
                        "Neo4j stopped the import because other changes to the same tables "
                        "ran at the same moment (a deadlock or a lock wait). Nothing was "
                        "written; import the file again.",
                        file=job.file_name,
                    )
                )
                report.outcome = Outcome.NOTHING_APPLIED
                return report
            except _LeaderChanged:
                report = copy_report(first_pass)
                report.add(
                    Problem(
                        ProblemCode.LEADER_CHANGED,
                        "The Neo4j cluster changed its leader (or the server the import wrote "
                        "to went away) while the import ran. Nothing was written; import the "
                        "file again.",
                        file=job.file_name,
                    )
                )
                report.outcome = Outcome.NOTHING_APPLIED
                return report
            except (ConstraintError, CatalogChanged) as exc:
                # Another writer changed the catalog between planning and writing.
                report = copy_report(first_pass)
                report.add(
                    Problem(
                        ProblemCode.NAME_TAKEN,
                        "The catalog changed while the import ran (someone created or renamed "
                        f"an entity the file also names: {exc.message}). Nothing was written; "
                        "import the file again.",
                        file=job.file_name,
                    )
                )
                report.outcome = Outcome.NOTHING_APPLIED
                return report
        finally:
            await asyncio.to_thread(_remove_tree, spool.spool_dir)

    async def _plan_all(
        self,
        spool: validate.ParsedFile,
        report: Report,
        lookups: CatalogLookups,
        tx: Tx | None,
        options: ImportOptions,
        progress: Progress,
        comment: str,
        job_id: str,
    ) -> list[CatalogEvent]:
        planner = Planner(
            lookups,
            report,
            spool.places,
            actor=self._actor,
            allow_downgrade=options.allow_downgrade,
            may_review=options.may_review,
            may_manage_sources=options.may_manage_sources,
            comment=comment,
        )
        events: list[CatalogEvent] = []
        for section in SECTIONS:
            for batch in spool.batches(section.name, options.batch_size):
                plan = await planner.plan(section, batch)
                progress.rows_validated += len(batch)
                writing = tx is not None and (
                    options.mode is ImportMode.SKIP_INVALID or report.error_count == 0
                )
                if writing:
                    assert tx is not None
                    audit = await self._apply(tx, section, plan, planner, job_id)
                    progress.rows_written += plan.writes
                    if len(events) <= MAX_CHANGE_EVENTS:
                        events.extend(
                            CatalogEvent(a.entity_type, a.entity_id, a.action, self._actor)
                            for a in audit[: MAX_CHANGE_EVENTS + 1 - len(events)]
                        )
                await asyncio.sleep(0)  # let other requests in between batches
        return events

    async def _apply(
        self, tx: Tx, section: Section, plan: BatchPlan, planner: Planner, job_id: str
    ) -> list[AuditEntry]:
        repo = self.repo
        audit = list(plan.audit)
        if section is SOURCES:
            await repo.create_sources(tx, plan.creates)
            await repo.update_sources(tx, plan.updates)
        elif section is TABLES:
            await repo.create_tables(tx, plan.creates)
            await repo.update_tables(tx, plan.updates)
        elif section is FIELDS:
            await repo.create_fields(tx, plan.creates)
            await repo.update_fields(tx, plan.updates)
        elif section in (TABLE_LINEAGE, FIELD_LINEAGE):
            level = LineageLevel.TABLE if section is TABLE_LINEAGE else LineageLevel.FIELD
            created = await repo.create_edges(tx, level, plan.creates)
            if created < len(plan.creates):
                raise CatalogChanged(
                    f"{len(plan.creates) - created} lineage edge(s) were added by someone else"
                )
            await repo.update_edges(tx, plan.updates)
        if section is FIELD_LINEAGE:
            audit += await self._refresh_implied(tx, plan, planner)
        await AuditRepository(self._store).record_set(
            tx,
            actor=self._actor,
            comment=planner.comment,
            job_id=job_id,
            changes=[
                ChangeDraft(a.entity_id, a.entity_type, a.action, a.before, a.after, a.comment)
                for a in audit
            ],
        )
        return audit

    async def _refresh_implied(self, tx: Tx, plan: BatchPlan, planner: Planner) -> list[AuditEntry]:
        """Keep the implied table edges in step with the field edges this batch wrote (as the
        lineage service does), giving a new implied edge the id the file gave it."""
        changes = await refresh_implied(
            tx,
            LineageRepository(self._store),
            plan.refresh_pairs,
            actor=self._actor,
            new_ids={pair: row["id"] for pair, row in planner.implied_rows.items()},
        )
        for change in changes:
            if change.action is ImpliedAction.CREATE:
                planner.implied_rows.pop((change.upstream_id, change.downstream_id), None)
        return [
            AuditEntry(d.entity_id, d.entity_type, d.action, d.before, d.after, d.comment)
            for d in implied_audit(changes, by=" (import)")
        ]

    def _publisher(self, job: ImportJob, events: list[CatalogEvent]) -> Callable[[], None]:
        broker = self._broker

        def publish() -> None:
            if broker is None:
                return
            if len(events) > MAX_CHANGE_EVENTS:
                broker.publish(CATALOG_TOPIC, CatalogEvent("IMPORT", job.id, "APPLY", self._actor))
                return
            for event in events:
                broker.publish(CATALOG_TOPIC, event)

        return publish

    # Export

    async def export(
        self,
        encoding: Encoding,
        *,
        sources: list[str] | None = None,
        tags: list[str] | None = None,
        tables: list[str] | None = None,
        section: Section | None = None,
        page_size: int = EXPORT_PAGE_SIZE,
        exported_at: str | None = None,
    ) -> AsyncIterator[bytes]:
        """Check the filters, then return the export as a stream of bytes. Raises
        ValidationError before anything is streamed."""
        filters = await self._filters(sources or [], tags or [], tables or [])
        meta: dict[str, Any] = {
            "exported_at": exported_at or datetime.now(UTC).isoformat(timespec="seconds"),
        }
        applied = {k: v for k, v in (("sources", sources), ("tags", tags), ("tables", tables)) if v}
        if applied:
            meta["filters"] = applied
        if section is not None and encoding is not Encoding.CSV:
            raise ValidationError(
                "Only CSV exports one section at a time; leave the section "
                "out for the other formats.",
                field="section",
            )
        return self._stream(encoding, filters, meta, section, page_size)

    async def _filters(
        self, sources: list[str], tags: list[str], tables: list[str]
    ) -> dict[str, Any]:
        source_keys: list[str] | None = None
        if sources:
            wanted = [s for s in sources if s != MANUAL_SOURCE_KEY]
            found = await self.repo.resolve_sources(wanted) if wanted else {}
            missing = [s for s in wanted if s not in found]
            if missing:
                pool = await CatalogLookups(self._store).source_names(limit=5000)
                hint = suggest(missing[0], pool)
                raise ValidationError(
                    f"No source is named '{missing[0]}' (or has that id); check the spelling"
                    + (f". Did you mean '{hint}'?" if hint else "."),
                    field="source",
                )
            source_keys = sorted(
                set(found.values())
                | ({MANUAL_SOURCE_KEY} if MANUAL_SOURCE_KEY in sources else set())
            )
        return {
            "source_keys": source_keys,
            "tags": [t.strip() for t in tags if t.strip()],
            "tables": [t.strip() for t in tables if t.strip()] or None,
        }

    async def _stream(
        self,
        encoding: Encoding,
        filters: dict[str, Any],
        meta: dict[str, Any],
        only: Section | None,
        page_size: int,
    ) -> AsyncIterator[bytes]:
        writer = create_writer(encoding, meta, single_section=only)
        try:
            if chunk := writer.start():
                yield chunk
            for section in [only] if only else SECTIONS:
                if chunk := writer.start_section(section):
                    yield chunk
                async for rows in self._pages(section, filters, page_size):
                    if chunk := writer.rows(rows):
                        yield chunk
                if chunk := writer.end_section():
                    yield chunk
            for chunk in writer.finish():
                if chunk:
                    yield chunk
        finally:
            writer.close()

    async def _pages(
        self, section: Section, filters: dict[str, Any], page: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        repo = self.repo
        if section is SOURCES:
            async for rows in repo.export_sources(filters, page=page):
                yield [dict(r) for r in rows]
        elif section is TABLES:
            async for rows in repo.export_tables(filters, page=page):
                yield [_table_row(r) for r in rows]
        elif section is FIELDS:
            async for rows in repo.export_fields(filters, page=page):
                yield [_field_row(r) for r in rows]
        elif section is TABLE_LINEAGE:
            async for rows in repo.export_lineage(LineageLevel.TABLE, filters, page=page):
                yield [_edge_row(r, with_fields=False) for r in rows]
        else:
            async for rows in repo.export_lineage(LineageLevel.FIELD, filters, page=page):
                yield [_edge_row(r, with_fields=True) for r in rows]


def _table_row(record: dict[str, Any]) -> dict[str, Any]:
    t = record["table"]
    return {
        **t,
        "tags": t.get("tags") or [],
        "source": record["source"],
        "source_id": record["source_id"],
    }


def _field_row(record: dict[str, Any]) -> dict[str, Any]:
    f = record["field"]
    return {
        **f,
        "tags": f.get("tags") or [],
        "source": record["source"],
        "schema": record["schema"],
        "table": record["table"],
        "table_id": record["table_id"],
    }


def _edge_row(record: dict[str, Any], *, with_fields: bool) -> dict[str, Any]:
    edge = record["edge"]
    row = {
        **{
            k: edge.get(k)
            for k in (
                "lineage_source",
                "confidence",
                "transformation_type",
                "transformation_logic",
                "description",
                "review_state",
                "reviewed_by",
                "reviewed_at",
                "review_comment",
                "id",
                "created_by",
                "created_at",
                "updated_at",
            )
        },
        "implied": not edge.get("explicit", True),
    }
    for role in ("upstream", "downstream"):
        row[f"{role}_source"] = record[f"{role}_source"]
        row[f"{role}_schema"] = record[f"{role}_schema"]
        row[f"{role}_table"] = record[f"{role}_table"]
        if with_fields:
            row[f"{role}_field"] = record[f"{role}_field"]
            row[f"{role}_field_id"] = record[f"{role}_id"]
        else:
            row[f"{role}_table_id"] = record[f"{role}_id"]
    return row


def _succeeded(report: Report, progress: Progress) -> dict[str, Any]:
    """A finished job's record: its report, and its progress at the end."""
    if report.outcome is Outcome.NOTHING_APPLIED:
        progress.rows_written = 0
    progress.phase = Phase.DONE
    return {
        "status": JobStatus.SUCCEEDED.value,
        "outcome": report.outcome.value if report.outcome else None,
        "error_count": report.error_count,
        "warning_count": report.warning_count,
        "report": json.dumps(report.as_dict(), ensure_ascii=False, default=str),
        **progress.as_props(),
    }


def _remove_tree(directory: Path) -> None:
    if not directory.exists():
        return
    for child in directory.iterdir():
        child.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        os.rmdir(directory)


async def stop_running_imports(*, grace: float = 0.0) -> None:
    """At shutdown, before the driver closes: running imports may finish for `grace`
    seconds; cancelling the rest rolls back each one's single transaction, so nothing partial
    stays behind, and marks them interrupted."""
    tasks = list(_RUNNING.values())
    if tasks and grace > 0:
        await asyncio.wait(tasks, timeout=grace)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
