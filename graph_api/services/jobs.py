"""Background jobs with live progress, for any kind of job (imports today; source scans next).

A job kind gets one `JobRunner`: it bounds how many jobs run at once (per person and in the
process), keeps the running tasks (so they are not garbage collected, and a waiter can join
one), and cancels them all at shutdown. `report_progress` writes a job's progress while it
runs: at most every PROGRESS_INTERVAL while something changes, and a heartbeat every
HEARTBEAT_INTERVAL when nothing does, so that a job whose heartbeat is older than
STALE_AFTER_SECONDS is known to belong to a process that stopped (it is then marked
INTERRUPTED when someone asks for it). Where a kind's jobs are recorded is its own business.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from neo4j.exceptions import Neo4jError

from graph_api import shutdown
from graph_api.errors import RateLimitedError
from graph_api.events import Broker

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress writes while something changes
HEARTBEAT_INTERVAL = 10.0
# A running job whose heartbeat is older than this belongs to a process that stopped.
STALE_AFTER_SECONDS = 120

T = TypeVar("T")


class JobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"  # the job ran to its end; its report says what it did
    FAILED = "FAILED"  # something unexpected went wrong; nothing was written
    INTERRUPTED = "INTERRUPTED"  # the service stopped during the job; nothing was written


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.INTERRUPTED)


class JobRunner(Generic[T]):
    def __init__(self, noun: str, *, per_actor: int, in_process: int, follow: str) -> None:
        self.noun = noun  # "import", as in "You have 2 imports running"
        self.per_actor = per_actor
        self.in_process = in_process
        self.follow = follow  # how to follow a job, for the refusal's message
        self._tasks: dict[str, asyncio.Task[T]] = {}
        self._active: Counter[str] = Counter()  # actor -> jobs running

    def check_capacity(self, actor: str) -> None:
        """Refuse a job when too many are running (before its input is even read), or when
        this process is shutting down."""
        shutdown.refuse_new_jobs(f"{self.noun}s")
        if self._active[actor] >= self.per_actor:
            raise RateLimitedError(
                f"You have {self._active[actor]} {self.noun}s running, the most one person may "
                f"run at once; try again when one finishes ({self.follow}).",
                retry_after=5.0,
            )
        if sum(self._active.values()) >= self.in_process:
            raise RateLimitedError(
                f"Too many {self.noun}s running ({self.in_process}, the most Clew runs at "
                "once); try again when one finishes.",
                retry_after=5.0,
            )

    def acquire(self, actor: str) -> None:
        self.check_capacity(actor)
        self._active[actor] += 1

    def release(self, actor: str) -> None:
        self._active[actor] -= 1
        if self._active[actor] <= 0:
            del self._active[actor]

    def start(self, job_id: str, actor: str, work: Coroutine[Any, Any, T]) -> None:
        """Run `work` in the background for a job whose place `acquire` took."""
        task = asyncio.create_task(work, name=f"{self.noun}-{job_id}")
        self._tasks[job_id] = task

        def done(_: object) -> None:
            self._tasks.pop(job_id, None)
            self.release(actor)

        task.add_done_callback(done)

    def running(self, job_id: str) -> bool:
        return job_id in self._tasks

    async def join(self, job_id: str) -> T | None:
        """The job's result once it ends, or None when it does not run here (any more), or
        was cancelled (the service is stopping; its record says so)."""
        task = self._tasks.get(job_id)
        if task is None:
            return None
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                raise  # the waiter itself was cancelled: let it stop
            return None

    async def stop_all(self, *, grace: float = 0.0) -> None:
        """At shutdown: running jobs may finish for `grace` seconds; then cancel the rest
        and wait until each has stopped."""
        tasks = list(self._tasks.values())
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def report_progress(
    label: str,
    snapshot: Callable[[], dict[str, Any]],
    write: Callable[[dict[str, Any]], Awaitable[Any]],
    *,
    on_tick: Callable[[], None] | None = None,
) -> None:
    """Until cancelled: write the job's progress when it changed, and a heartbeat when not.
    Writing is best effort (a failed write is logged, the job goes on)."""
    last: dict[str, Any] | None = None
    beat = time.monotonic()
    while True:
        await asyncio.sleep(PROGRESS_INTERVAL)
        now = snapshot()
        if on_tick is not None:
            on_tick()
        if now == last and time.monotonic() - beat < HEARTBEAT_INTERVAL:
            continue
        last, beat = now, time.monotonic()
        try:
            await write(now)
        except (Neo4jError, OSError) as exc:
            log.warning("could not record progress of %s: %s", label, exc)


class FollowedJob(Protocol):
    @property
    def finished(self) -> bool: ...
    @property
    def progress(self) -> Any: ...
    @property
    def status(self) -> Any: ...


J = TypeVar("J", bound=FollowedJob)


async def follow_job(
    broker: Broker, topic: str, load: Callable[[], Awaitable[J]]
) -> AsyncGenerator[J, None]:
    """A job as it runs: its state now, then each update published on `topic`, until it has
    finished. The topic is joined before the state is read, so no update falls in between;
    with no news for 2 s the job is read again (it may run in another process, or that
    process stopped). `load` raises when the caller may not see the job."""
    updates = broker.subscribe(topic)
    pending: asyncio.Future[Any] = asyncio.ensure_future(updates.__anext__())
    try:
        job = await load()
        yield job
        while not job.finished:
            done, _ = await asyncio.wait({pending}, timeout=2.0)
            if done:
                job = pending.result()
                pending = asyncio.ensure_future(updates.__anext__())
            else:
                polled = await load()
                if (polled.progress, polled.status) == (job.progress, job.status):
                    continue
                job = polled
            yield job
    finally:
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await pending
        await updates.aclose()
