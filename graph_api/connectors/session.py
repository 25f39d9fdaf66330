"""One catalog connection per connector, shared by the worker threads the service runs it in:
opened on first use, guarded by a lock, and replaced once, transparently, when the server
dropped it (a restart, an idle timeout), since catalog reads are idempotent. `test` never uses
it: it must prove that connecting works now."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

C = TypeVar("C")
T = TypeVar("T")


class Busy(Exception):
    """Another read held the connection for longer than the wait allowed."""


class SharedConnection(Generic[C]):
    def __init__(
        self,
        connect: Callable[[], C],
        *,
        is_open: Callable[[C], bool],
        was_dropped: Callable[[BaseException, C], bool],
        close: Callable[[C], None],
        on_drop: Callable[[], None] | None = None,
    ) -> None:
        self._connect = connect
        self._is_open = is_open
        self._was_dropped = was_dropped
        self._close = close
        self._on_drop = on_drop
        self._lock = threading.Lock()
        self._conn: C | None = None

    def run(self, work: Callable[[C], T], *, wait: float) -> T:
        """`work` on the shared connection; Busy when the lock is not free within `wait`."""
        if not self._lock.acquire(timeout=wait):
            raise Busy()
        try:
            return self._attempt(work)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Closes the connection (it reopens on next use). Safe to call twice."""
        with self._lock:
            self._drop()

    def _attempt(self, work: Callable[[C], T]) -> T:
        conn = self._conn
        fresh = conn is None or not self._is_open(conn)
        if conn is None or fresh:
            conn = self._conn = self._connect()
        try:
            return work(conn)
        except Exception as exc:
            if not self._was_dropped(exc, conn):
                raise
            self._drop()
            if fresh:
                raise  # a connection just opened and already gone: nothing to retry
        conn = self._conn = self._connect()
        return work(conn)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if self._on_drop is not None:
            self._on_drop()
        if conn is not None:
            self._close(conn)
