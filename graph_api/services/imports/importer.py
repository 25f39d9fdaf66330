"""Bulk import and export: jobs, the one transaction an import writes in, and the streamed
export. The API, the CLI and the benchmark all go through this module.

An import runs in two passes. The first (`interchange.validate`) reads the file once, in a worker
thread, checking syntax and schema and spooling rows to disk. The second plans each section a
batch at a time (`interchange.plan`) and, unless it is a preview, writes each batch with one
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
import uuid
from collections.abc import Callable
from dataclasses import replace
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

from graph_api.errors import ValidationError
from graph_api.events import CATALOG_TOPIC, Broker, CatalogEvent
from graph_api.interchange import validate
from graph_api.interchange.format import (
    FIELD_LINEAGE,
    FIELDS,
    SECTIONS,
    SOURCES,
    TABLE_LINEAGE,
    TABLES,
    Section,
)
from graph_api.interchange.plan import AuditEntry, BatchPlan, Planner
from graph_api.interchange.report import Outcome, Problem, ProblemCode, Report, copy_report
from graph_api.lineage_rules import ImpliedAction
from graph_api.models import LineageLevel, Origin, OriginKind, TransformationType
from graph_api.services.imports.jobs import (
    DEFAULT_JOB_RETENTION_DAYS,
    IMPORTS,
    MAX_BATCH_SIZE,
    ImportJob,
    ImportMode,
    ImportOptions,
    JobStatus,
    Phase,
    Progress,
    encoding_of,
    job_topic,
)
from graph_api.services.jobs import STALE_AFTER_SECONDS, report_progress
from graph_api.services.lineage import implied_audit, refresh_implied
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.interchange import CatalogLookups, InterchangeRepository
from graph_api.store.lineage import LineageRepository
from graph_api.store.origins import OriginRepository, assertion_row

log = logging.getLogger(__name__)


# Per-entity change events for imports up to this many changes; above it one IMPORT event.
MAX_CHANGE_EVENTS = 1000


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


class CatalogChanged(Exception):
    """Another writer changed what an import planned to write; nothing is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportService:
    def __init__(
        self,
        store: Store,
        *,
        actor: str,
        broker: Broker | None = None,
        job_retention_days: int = DEFAULT_JOB_RETENTION_DAYS,
    ) -> None:
        self._store = store
        self.store = store
        self._actor = actor
        self._broker = broker
        self._job_retention_days = job_retention_days
        self.repo = InterchangeRepository(store)

    async def submit(
        self, *, path: Path, file_name: str, options: ImportOptions, owns_file: bool = True
    ) -> ImportJob:
        """Record a job and run it in the background; the file is removed when it ends.
        Refused (RATE_LIMITED) when too many imports are running."""
        actor = self._actor
        try:
            IMPORTS.acquire(actor)
            try:
                job = await self._create(
                    path=path, file_name=file_name, options=options, owns_file=owns_file
                )
            except BaseException:
                IMPORTS.release(actor)
                raise
        except BaseException:
            if owns_file:
                await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        IMPORTS.start(
            job.id,
            actor,
            self._run(
                job,
                path=path,
                options=replace(options, encoding=job.encoding),
                owns_file=owns_file,
                on_progress=None,
            ),
        )
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
        IMPORTS.acquire(self._actor)
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
            IMPORTS.release(self._actor)

    async def job(self, job_id: str) -> ImportJob | None:
        row = await self.repo.get_job(job_id)
        if row is None:
            return None
        if row["status"] in ("QUEUED", "RUNNING") and not IMPORTS.running(job_id):
            stopped = await self.repo.interrupt_job(
                job_id,
                stale_seconds=STALE_AFTER_SECONDS,
                failure="The service stopped while this import was running; nothing was "
                "written. Import the file again.",
            )
            row = stopped or row
        return ImportJob.from_record(row)

    async def wait(self, job_id: str) -> ImportJob:
        finished = await IMPORTS.join(job_id)
        if finished is not None:
            return finished
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
        async def write(props: dict[str, Any]) -> None:
            row = await self.repo.update_job(job_id, props, unless_finished=True)
            if row is not None and self._broker is not None:
                self._broker.publish(job_topic(job_id), ImportJob.from_record(row))

        await report_progress(
            f"import {job_id}",
            progress.as_props,
            write,
            on_tick=None if on_progress is None else lambda: on_progress(progress),
        )

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
                        origin=Origin(
                            kind=OriginKind.IMPORT,
                            key=job.file_name,
                            label=f"import of {job.file_name}",
                        ),
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
        origin: Origin | None = None,
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
                    if origin is not None and section in (TABLE_LINEAGE, FIELD_LINEAGE):
                        await self._record_origin(tx, section, plan, origin, job_id)
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

    async def _record_origin(
        self, tx: Tx, section: Section, plan: BatchPlan, origin: Origin, job_id: str
    ) -> None:
        """The file is the origin of the lineage it wrote (README, "Lineage rules")."""
        level = LineageLevel.TABLE if section is TABLE_LINEAGE else LineageLevel.FIELD
        rows = []
        for row in plan.creates + plan.updates:
            props = row["props"]
            kind = props.get("transformation_type")
            rows.append(
                assertion_row(
                    edge_id=row["id"],
                    level=level,
                    transformation=TransformationType(kind) if kind else None,
                    confidence=props.get("confidence"),
                    logic=props.get("transformation_logic"),
                    evidence={"file": origin.key, "job": job_id},
                )
            )
        if rows:
            await OriginRepository(self._store).record(tx, origin, rows)

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
