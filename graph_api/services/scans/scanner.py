"""Scanning a source: discover its namespaces, read the chosen ones in batches, apply each
batch by the scan rules in one transaction, then mark what the source no longer has missing.

A scan runs as a background job (the same `JobRunner` as imports) and never on the event
loop: connector calls run in worker threads. One scan per source at a time, across every
Clew process: a scan holds the source's lease in Neo4j (:ScanLease) while it runs, renewed
with its heartbeat, so a lease whose process died expires with the job's heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from itertools import islice
from typing import Any

from graph_api.connectors.base import (
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    NamespaceInfo,
    ScanWarning,
    TableFilter,
    TableInfo,
)
from graph_api.errors import ConflictError, ValidationError
from graph_api.events import Broker
from graph_api.models import Source, SourceType
from graph_api.names import did_you_mean
from graph_api.scan_rules import Marker, TableOutcome, missing_table_props
from graph_api.services.catalog import CatalogService
from graph_api.services.connections import user_error
from graph_api.services.jobs import STALE_AFTER_SECONDS, report_progress
from graph_api.services.scans.apply import (
    BatchWriter,
    entry,
    missing_writes,
    scan_actor,
    writes_of,
)
from graph_api.services.scans.jobs import (
    BATCH_TABLES,
    SCANS,
    JobStatus,
    Phase,
    Progress,
    ScanFailure,
    ScanJob,
    ScanOptions,
    ScanReport,
    TableEntry,
    WarningEntry,
    job_topic,
    options_props,
)
from graph_api.services.scans.removal import remove_missing
from graph_api.services.sources import SourceService
from graph_api.services.sql_lineage import SqlLineageService
from graph_api.sql_lineage import Dialect
from graph_api.store.client import Store
from graph_api.store.scans import ScanRepository

log = logging.getLogger(__name__)

MAX_PATTERNS = 100
# The SQL dialect a source's view definitions are written in (MongoDB views are pipelines).
VIEW_DIALECTS = {
    SourceType.POSTGRESQL: Dialect.POSTGRES,
    SourceType.MYSQL: Dialect.MYSQL,
    SourceType.ORACLE: Dialect.ORACLE,
}


class ScanFailed(Exception):
    """A scan that cannot go on, with why and what to do."""

    def __init__(self, reason: ScanFailure, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _patterns(values: tuple[str, ...], *, field: str) -> tuple[str, ...]:
    cleaned = tuple(v.strip() for v in values if v.strip())
    if len(cleaned) > MAX_PATTERNS or any(len(v) > 255 for v in cleaned):
        raise ValidationError(
            f"Give at most {MAX_PATTERNS} patterns of at most 255 characters each.", field=field
        )
    return cleaned


def check_options(options: ScanOptions) -> ScanOptions:
    return ScanOptions(
        namespaces=_patterns(options.namespaces, field="scan.namespaces"),
        include=_patterns(options.include, field="scan.include"),
        exclude=_patterns(options.exclude, field="scan.exclude"),
        kinds=options.kinds,
        dry_run=options.dry_run,
        remove_missing=options.remove_missing,
        trigger=options.trigger,
    )


def _next_chunk(items: Iterator[TableInfo | ScanWarning], size: int) -> list[Any]:
    return list(islice(items, size))


class ScanService:
    """Built once per process; who starts a scan is given per call (`actor=`)."""

    def __init__(
        self,
        store: Store,
        *,
        sources: SourceService,
        catalog: CatalogService,
        broker: Broker | None,
        sql_lineage: SqlLineageService | None = None,
    ) -> None:
        self._store = store
        self._sources = sources
        self._catalog = catalog
        self._sql_lineage = sql_lineage
        self._broker = broker
        self.repo = ScanRepository(store)
        self._writer = BatchWriter(store, broker=broker)

    # Discover

    async def discover(self, source_id: str) -> tuple[Source, list[NamespaceInfo]]:
        source, config, connector = await self._sources.connector(source_id)
        try:
            found = await self._sources.run_connector(config.query_timeout, connector.discover)
        except ConnectorError as exc:
            raise user_error(exc, field="source.id") from None
        except TimeoutError:
            raise ValidationError(
                f"Source '{source.name}' did not list its namespaces within "
                f"{config.query_timeout:g} seconds; raise its query timeout or try again.",
                field="source.id",
            ) from None
        return source, found

    # Jobs

    async def start(self, source_id: str, options: ScanOptions, *, actor: str) -> ScanJob:
        """Record a scan job and run it in the background. Refused when this source is being
        scanned already (anywhere), or too many scans run here."""
        job, source, config, connector = await self._open(source_id, options, actor=actor)
        SCANS.start(job.id, actor, self._run(job, source, config, connector, None))
        return job

    async def run(
        self,
        source_id: str,
        options: ScanOptions,
        *,
        actor: str,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> ScanJob:
        """Record a scan job and run it to its end here (the CLI, the benchmark)."""
        job, source, config, connector = await self._open(source_id, options, actor=actor)
        try:
            return await self._run(job, source, config, connector, on_progress)
        finally:
            SCANS.release(actor)

    async def _open(
        self, source_id: str, options: ScanOptions, *, actor: str
    ) -> tuple[ScanJob, Source, ConnectionConfig, Connector]:
        options = check_options(options)
        SCANS.acquire(actor)
        try:
            source, config, connector = await self._sources.connector(source_id)
            job_id = str(uuid.uuid4())
            holder = await self.repo.acquire_lease(
                source.id, holder=job_id, seconds=STALE_AFTER_SECONDS
            )
            if holder is not None:
                raise ConflictError(await self._busy(source, holder), field="source.id")
            try:
                row = await self.repo.create_job(
                    {
                        "id": job_id,
                        "source_id": source.id,
                        "source_name": source.name,
                        "status": JobStatus.QUEUED.value,
                        "actor": actor,
                        **options_props(options),
                        **Progress().as_props(),
                    }
                )
            except BaseException:
                await self.repo.release_lease(source.id, holder=job_id)
                raise
        except BaseException:
            SCANS.release(actor)
            raise
        return ScanJob.from_record(row), source, config, connector

    async def _busy(self, source: Source, holder: str) -> str:
        running = await self.job(holder)
        who = ""
        if running is not None:
            by = "on its schedule" if running.actor == "schedule" else f"by {running.actor}"
            who = f" (job {running.id}, started {by})"
        return (
            f"Source '{source.name}' is being scanned already{who}; one scan of a source runs "
            "at a time. Follow it with scanJob or scanJobProgress, and scan again when it ends."
        )

    async def job(self, job_id: str) -> ScanJob | None:
        row = await self.repo.get_job(job_id)
        if row is None:
            return None
        if row["status"] in ("QUEUED", "RUNNING") and not SCANS.running(job_id):
            stopped = await self.repo.interrupt_job(
                job_id,
                stale_seconds=STALE_AFTER_SECONDS,
                failure="The Clew service stopped while this scan was running. The batches it "
                "had written stay (each whole); the batch it was writing was not written, and "
                "nothing was marked missing. Scan the source again.",
            )
            row = stopped or row
        return ScanJob.from_record(row)

    async def wait(self, job_id: str) -> ScanJob:
        finished = await SCANS.join(job_id)
        if finished is not None:
            return finished
        job = await self.job(job_id)
        assert job is not None
        return job

    async def jobs_of_source(self, source_id: str, *, limit: int) -> list[ScanJob]:
        return [
            ScanJob.from_record(r) for r in await self.repo.jobs_of_source(source_id, limit=limit)
        ]

    # Running one

    async def _run(
        self,
        job: ScanJob,
        source: Source,
        config: ConnectionConfig,
        connector: Connector,
        on_progress: Callable[[Progress], None] | None,
    ) -> ScanJob:
        progress = Progress(phase=Phase.DISCOVERING)
        report = ScanReport(dry_run=job.options.dry_run)
        ticker = asyncio.create_task(self._tick(job, progress, on_progress))
        props: dict[str, Any] = {}
        try:
            await self.repo.update_job(
                job.id, {"status": JobStatus.RUNNING.value, **progress.as_props()}, started=True
            )
            await self._scan(job, source, config, connector, progress, report)
            props = {"status": JobStatus.SUCCEEDED.value}
        except ScanFailed as exc:
            props = _failed(exc.reason, exc.message, report)
        except ConnectorError as exc:
            props = _failed(*_connector_failure(source, exc), report)
        except TimeoutError:
            props = _failed(
                ScanFailure.SOURCE_UNAVAILABLE,
                f"Source '{source.name}' stopped answering (no answer within "
                f"{config.query_timeout:g} seconds).",
                report,
            )
        except asyncio.CancelledError:
            props = {
                "status": JobStatus.INTERRUPTED.value,
                "failure_reason": ScanFailure.CANCELLED.value,
                "failure": "The scan was stopped (the service is shutting down). "
                + _left_behind(report),
            }
            raise
        except Exception:
            log.exception("scan job %s failed", job.id)
            props = _failed(
                ScanFailure.INTERNAL,
                "Something went wrong on our side; it has been logged (report it with job id "
                f"{job.id}).",
                report,
            )
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            progress.phase = Phase.DONE
            row = await asyncio.shield(
                self.repo.update_job(
                    job.id,
                    {**props, **progress.as_props(), "report": report.to_json()},
                    finished=True,
                )
            )
            await asyncio.shield(self.repo.release_lease(source.id, holder=job.id))
            if on_progress is not None:
                on_progress(progress)
        assert row is not None
        finished = ScanJob.from_record(row)
        if self._broker is not None:
            self._broker.publish(job_topic(job.id), finished)
        return finished

    async def _tick(
        self, job: ScanJob, progress: Progress, on_progress: Callable[[Progress], None] | None
    ) -> None:
        async def write(props: dict[str, Any]) -> None:
            # The heartbeat renews the lease: while this job lives, nobody else scans.
            await self.repo.acquire_lease(job.source_id, holder=job.id, seconds=STALE_AFTER_SECONDS)
            row = await self.repo.update_job(job.id, props, unless_finished=True)
            if row is not None and self._broker is not None:
                self._broker.publish(job_topic(job.id), ScanJob.from_record(row))

        await report_progress(
            f"scan {job.id}",
            progress.as_props,
            write,
            on_tick=None if on_progress is None else lambda: on_progress(progress),
        )

    async def _scan(
        self,
        job: ScanJob,
        source: Source,
        config: ConnectionConfig,
        connector: Connector,
        progress: Progress,
        report: ScanReport,
    ) -> None:
        options = job.options
        found = await self._sources.run_connector(config.query_timeout, connector.discover)
        namespaces = _chosen(source, options, [n.name for n in found])
        # Elasticsearch's one namespace is the cluster; any other index pattern is asked of it.
        progress.namespaces_total = len(namespaces)
        progress.phase = Phase.READING
        table_filter = TableFilter(
            include=options.include, exclude=options.exclude, kinds=options.kinds
        )
        marker = Marker(at=datetime.now(UTC), scan_id=job.id)
        comment = f"Scan {job.id} of source '{source.name}'."
        seen: set[str] = set()
        schemas: set[str] = set(namespaces)
        if source.type is SourceType.ELASTICSEARCH:
            schemas.add("")  # indices have no schema
        gone: list[str] = []  # ids of the fields this scan found gone
        views: list[TableInfo] = []  # views and materialized views added or changed
        for namespace in namespaces:
            items = iter(
                await self._sources.run_connector(
                    config.query_timeout,
                    connector.scan_namespace,
                    namespace=namespace,
                    table_filter=table_filter,
                )
            )
            while True:
                chunk = await asyncio.wait_for(
                    asyncio.to_thread(_next_chunk, items, BATCH_TABLES),
                    config.query_timeout * 4,
                )
                if not chunk:
                    break
                infos = [i for i in chunk if isinstance(i, TableInfo)]
                report.warnings += [
                    WarningEntry(w.namespace, w.table, w.reason.value, w.message)
                    for w in chunk
                    if isinstance(w, ScanWarning)
                ]
                progress.tables_read += len(infos)
                gone += await self._batch(
                    job, source, infos, marker, comment, progress, report, views
                )
                for info in infos:
                    seen.add(_qualified(info))
                    if info.schema is None:
                        schemas.add("")
            progress.namespaces_read += 1
        if not seen and not report.warnings and (options.include or options.kinds):
            raise ScanFailed(
                ScanFailure.NOTHING_MATCHED,
                f"No table of {', '.join(repr(n) for n in namespaces)} in source "
                f"'{source.name}' matches the patterns and kinds given (include "
                f"{list(options.include) or 'all'}, exclude {list(options.exclude) or 'none'}); "
                "nothing was written or marked missing. Check the patterns (globs such as "
                "'orders_*', matched against the whole table name, ignoring case) with "
                "discoverSource.",
            )
        progress.phase = Phase.MARKING_MISSING
        await self._mark_missing(job, source, schemas, seen, table_filter, marker, comment, report)
        await self._view_lineage(job, source, views, report)
        if options.remove_missing and not options.dry_run:
            gone += [t.table_id for t in report.missing if t.table_id]
            report.removed = await remove_missing(
                self._store, self._catalog, gone, actor=scan_actor(job.id)
            )

    async def _batch(
        self,
        job: ScanJob,
        source: Source,
        infos: list[TableInfo],
        marker: Marker,
        comment: str,
        progress: Progress,
        report: ScanReport,
        views: list[TableInfo],
    ) -> list[str]:
        plans = await self._writer.plan(source.id, infos, marker=marker)
        writes, ids = writes_of(plans, source_id=source.id)
        changed = [p for p in plans if p.outcome is not TableOutcome.UNCHANGED]
        if writes and not job.options.dry_run:
            done = progress.tables_written + len(changed)

            def after() -> dict[str, Any]:
                return {**progress.as_props(), "tables_written": done}

            await self._writer.write(writes, job_id=job.id, comment=comment, progress=after)
            progress.tables_written = done
            report.written = True
            report.batches_written += 1
        elif not job.options.dry_run:
            await self._writer.remember(writes)
        for plan, table_id in zip(plans, ids, strict=True):
            if plan.outcome is TableOutcome.ADDED:
                report.added.append(entry(plan, None if job.options.dry_run else table_id))
            elif plan.outcome is TableOutcome.CHANGED:
                report.changed.append(entry(plan, table_id))
            else:
                report.unchanged.append(plan.qualified_name)
        if not job.options.dry_run:
            by_name = {_qualified(i): i for i in infos}
            views += [
                by_name[p.qualified_name]
                for p in plans
                if p.outcome is not TableOutcome.UNCHANGED
                and p.qualified_name in by_name
                and by_name[p.qualified_name].definition
            ]
        return [f.id for p in plans for f, props in p.update_fields if props.get("missing_since")]

    async def _view_lineage(
        self, job: ScanJob, source: Source, views: list[TableInfo], report: ScanReport
    ) -> None:
        """Each view added or changed has its definition parsed, with the view as origin: its
        lineage arrives INFERRED, pending review, and replaces what the view asserted before.
        A definition that does not parse is a warning of the scan, never its failure."""
        dialect = VIEW_DIALECTS.get(source.type)
        if self._sql_lineage is None or dialect is None:
            return
        for info in views:
            assert info.definition is not None
            name = _qualified(info)
            try:
                applied = await self._sql_lineage.apply_view(
                    source_id=source.id,
                    view=name,
                    definition=info.definition,
                    dialect=dialect,
                    actor=scan_actor(job.id),
                )
            except ValidationError as exc:
                report.warnings.append(
                    WarningEntry(info.schema or "", info.name, "VIEW_LINEAGE", exc.message)
                )
                continue
            for unparsed in applied.proposal.unparsed:
                report.warnings.append(
                    WarningEntry(
                        info.schema or "",
                        info.name,
                        "VIEW_LINEAGE",
                        f"The definition of view '{name}' could not be read for lineage "
                        f"({unparsed.reason}); its lineage was not proposed.",
                    )
                )

    async def _mark_missing(
        self,
        job: ScanJob,
        source: Source,
        schemas: set[str],
        seen: set[str],
        table_filter: TableFilter,
        marker: Marker,
        comment: str,
        report: ScanReport,
    ) -> None:
        stored = await self.repo.namespace_tables(source.id, sorted(schemas), seen=sorted(seen))
        namespaces = [s.lower() for s in schemas if s]
        gone = [
            (t, props)
            for t in stored
            if t.qualified_name not in seen
            and table_filter.matches(t.name, t.kind)
            # A table without a schema (an index) is in the namespaces whose pattern it matches.
            and (t.schema is not None or any(fnmatchcase(t.name.lower(), n) for n in namespaces))
            for props in [missing_table_props(t, marker)]
            if props is not None
        ]
        report.missing += [TableEntry(t.qualified_name, t.id) for t, _ in gone]
        if job.options.dry_run or not gone:
            return
        for start in range(0, len(gone), BATCH_TABLES):
            batch = gone[start : start + BATCH_TABLES]
            await self._writer.write(
                missing_writes(batch), job_id=job.id, comment=comment, progress=lambda: {}
            )
            report.written = True
            report.batches_written += 1


def _qualified(info: TableInfo) -> str:
    return f"{info.schema}.{info.name}" if info.schema else info.name


def _chosen(source: Source, options: ScanOptions, names: list[str]) -> list[str]:
    if not options.namespaces:
        return names
    if source.type is SourceType.ELASTICSEARCH:
        return list(dict.fromkeys(options.namespaces))  # patterns: the connector resolves them
    exact = {n: n for n in names}
    folded = {n.lower(): n for n in names}
    chosen, unknown = [], []
    for asked in options.namespaces:
        name = exact.get(asked) or folded.get(asked.lower())
        if name is None:
            unknown.append(asked)
        elif name not in chosen:
            chosen.append(name)
    if unknown:
        hint = did_you_mean(unknown[0], names)
        raise ScanFailed(
            ScanFailure.UNKNOWN_NAMESPACE,
            f"Source '{source.name}' has no namespace {', '.join(repr(u) for u in unknown)}."
            f"{hint} discoverSource lists the namespaces it has.",
        )
    return chosen


def _left_behind(report: ScanReport) -> str:
    if report.dry_run:
        return "It was a dry run: nothing was written."
    if not report.batches_written:
        return "Nothing was written."
    return (
        f"The {report.batches_written} batch(es) written before stay, each whole; nothing "
        "else was written and nothing was marked missing."
    )


def _failed(reason: ScanFailure, message: str, report: ScanReport) -> dict[str, Any]:
    return {
        "status": JobStatus.FAILED.value,
        "failure_reason": reason.value,
        "failure": f"{message} {_left_behind(report)}",
    }


def _connector_failure(source: Source, error: ConnectorError) -> tuple[ScanFailure, str]:
    if error.reason is FailureReason.AUTHENTICATION_FAILED:
        return ScanFailure.AUTHENTICATION_FAILED, (
            f"{error.message} If the password was changed, give the new one with "
            "updateSource, then scan again."
        )
    if error.reason is FailureReason.DATABASE_NOT_FOUND:
        return ScanFailure.UNKNOWN_NAMESPACE, f"{error.message} {error.hint}"
    return ScanFailure.SOURCE_UNAVAILABLE, (
        f"{error.message} {error.hint} Scan again when source '{source.name}' is back."
    )
