"""Scan schedules: a cron expression in a time zone, on or off, for some namespaces (or all).

Cron expressions are read by cronsim (five fields, as crontab(5); its iteration in an aware
datetime handles daylight-saving gaps and repeats the way cron does). Every Clew process runs a
`Scheduler`; a due run starts exactly once because each process claims it by moving the
source's next run on in one conditional write, which only the first to try wins; the scan it
starts then takes the source's lease, so it never overlaps another scan of that source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from neo4j.exceptions import Neo4jError

from graph_api.errors import ClewError, NotFoundError, ValidationError
from graph_api.models import ScanSchedule, Source
from graph_api.services.scans.jobs import ScanOptions, Trigger
from graph_api.services.scans.scanner import ScanService
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx

log = logging.getLogger(__name__)

SCHEDULE_ACTOR = "schedule"
POLL_SECONDS = 15.0


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"'{name}' is not a time zone Clew knows; use an IANA name such as "
            "'Europe/Berlin', 'America/New_York' or 'UTC'.",
            field="schedule.timeZone",
        ) from None


def next_run(cron: str, time_zone: str, *, after: datetime) -> datetime:
    """The first time after `after` that `cron` names in `time_zone`, in UTC."""
    try:
        runs = CronSim(cron, after.astimezone(zone(time_zone)))
        return next(runs).astimezone(UTC)
    except CronSimError as exc:
        raise ValidationError(
            f"'{cron}' is not a cron expression Clew can read ({exc}); give five fields: "
            "minute hour day-of-month month day-of-week, e.g. '30 2 * * *' for 02:30 daily.",
            field="schedule.cron",
        ) from None
    except StopIteration:
        raise ValidationError(
            f"'{cron}' never comes round (e.g. 30 February); choose a date that exists.",
            field="schedule.cron",
        ) from None


class ScheduleService:
    def __init__(self, store: Store, *, scans: ScanService) -> None:
        self._store = store
        self._scans = scans
        self._audit = AuditRepository(store)

    async def set_schedule(
        self,
        source_id: str,
        *,
        cron: str,
        time_zone: str,
        enabled: bool,
        namespaces: list[str],
        actor: str,
    ) -> Source:
        cron = " ".join(cron.split())
        next_at = next_run(cron, time_zone, after=datetime.now(UTC)) if enabled else None
        props = {
            "schedule_cron": cron,
            "schedule_time_zone": time_zone,
            "schedule_enabled": enabled,
            "schedule_namespaces": [n.strip() for n in namespaces if n.strip()],
            "schedule_next_at": next_at,
        }
        row = await self._scans.repo.set_schedule(source_id, props)
        if row is None:
            raise NotFoundError(
                f"No source with id '{source_id}' exists; check the id.", field="source.id"
            )

        async def work(tx: Tx) -> None:
            after = {k: v for k, v in props.items() if k != "schedule_next_at"}
            await self._audit.record(
                tx,
                actor=actor,
                changes=[ChangeDraft(source_id, "SOURCE", "SCHEDULE", after=after)],
            )

        await self._store.transaction(work)
        return Source.from_record(row)

    async def run_due(self) -> list[str]:
        """Start every due scheduled scan this process claims; the jobs' ids."""
        started = []
        now = datetime.now(UTC)
        for row in await self._scans.repo.due_schedules():
            schedule = ScanSchedule.from_source_row(row)
            if schedule is None:
                continue
            try:
                following = next_run(schedule.cron, schedule.time_zone, after=now)
            except ValidationError:
                log.warning("source %s has an unreadable schedule", row["id"])
                continue
            if not await self._scans.repo.claim_schedule(
                row["id"], expected=row["schedule_next_at"], next_at=following
            ):
                continue  # another process claimed this run
            options = ScanOptions(namespaces=schedule.namespaces, trigger=Trigger.SCHEDULE)
            try:
                job = await self._scans.start(row["id"], options, actor=SCHEDULE_ACTOR)
            except ClewError as exc:
                # Being scanned already, shutting down, its settings unusable: skip this run.
                log.warning("scheduled scan of source %s skipped: %s", row["id"], exc.message)
                continue
            started.append(job.id)
        return started


class Scheduler:
    """Runs due scheduled scans every `poll` seconds until stopped."""

    def __init__(self, schedules: ScheduleService, *, poll: float = POLL_SECONDS) -> None:
        self._schedules = schedules
        self._poll = poll
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="scan-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            try:
                await self._schedules.run_due()
            except (Neo4jError, OSError) as exc:
                log.warning("could not run scheduled scans: %s", exc)
            except Exception:  # noqa: BLE001 - one bad run must not stop every later one
                log.exception("scheduled scans failed")
