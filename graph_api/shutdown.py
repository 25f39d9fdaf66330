"""A replica's orderly stop: on SIGTERM it drains before it exits.

Draining: /readyz answers 503 (the load balancer sends new requests elsewhere), new imports
and scans are refused with a retryable error, and running imports may finish for up to
CLEW_SHUTDOWN_GRACE_SECONDS. Only then does the server stop; imports still running are
cancelled, which rolls back their one transaction (nothing partial is committed) and marks
them interrupted. A second SIGTERM stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType

from graph_api.errors import RateLimitedError

log = logging.getLogger("graph_api.shutdown")

_draining = False


def draining() -> bool:
    return _draining


def begin_draining() -> None:
    global _draining
    _draining = True


def reset() -> None:
    """This process takes work again (a new app in the same process: the tests, the CLI)."""
    global _draining
    _draining = False


def refuse_new_jobs(what: str) -> None:
    """Called before a long-running job (an import, a scan) is accepted."""
    if _draining:
        raise RateLimitedError(
            f"This Clew replica is shutting down and starts no new {what}; try again in a "
            "moment (behind a load balancer the retry reaches another replica).",
            retry_after=2.0,
        )


def drain_on_sigterm(drain: Callable[[], Awaitable[None]]) -> None:
    """Runs `drain` on SIGTERM, then hands the signal to the server's own handler (uvicorn's
    graceful stop). Does nothing outside the main thread or when no server handles SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return
    server_handler: Callable[[int, FrameType | None], object] = previous
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[None]] = set()

    async def drain_then_stop() -> None:
        try:
            await drain()
        finally:
            server_handler(signal.SIGTERM, None)

    def start() -> None:
        task = loop.create_task(drain_then_stop(), name="clew-drain")
        running.add(task)
        task.add_done_callback(running.discard)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, server_handler)  # a second SIGTERM stops at once
        loop.call_soon_threadsafe(start)

    signal.signal(signal.SIGTERM, on_sigterm)
