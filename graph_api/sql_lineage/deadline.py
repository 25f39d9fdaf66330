"""A time limit on one statement's analysis, in the thread that runs it.

sqlglot is pure Python and has no way to stop it: a timer thread raises TimeLimitExceeded in
the analysing thread once the deadline has passed (CPython's PyThreadState_SetAsyncExc,
delivered between two bytecodes), which unwinds the parse wherever it is. Until then it
costs nothing; a trace function on every Python call, the way it was done before, made
sqlglot two to three times slower (tracing turns off the interpreter's specialised fast
paths). A limit that has not fired when the block ends is cancelled, and one that fired too
late to be delivered is taken back, so it never reaches the code after the block. One that
was delivered but swallowed is raised again until the block ends."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc


class TimeLimitExceeded(BaseException):
    """A BaseException, so that sqlglot's own `except Exception` (which turns what it catches
    into a TokenError or ParseError) lets it through."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "took longer than its time limit"


# How often an expired limit is raised again while the block still runs: an exception raised
# asynchronously can land in code that swallows it (a garbage-collector callback, an
# `except BaseException` in a library), and the analysis must still stop.
_REPEAT_SECONDS = 0.05


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    thread = threading.get_ident()
    lock = threading.Lock()
    done = threading.Event()
    state = {"active": True, "fired": False}

    def expire() -> None:
        wait = seconds
        while not done.wait(wait):
            with lock:
                if not state["active"]:
                    return
                raised = ctypes.py_object(TimeLimitExceeded)
                state["fired"] = _set_async_exc(ctypes.c_ulong(thread), raised) == 1
            wait = _REPEAT_SECONDS

    timer = threading.Thread(target=expire, name="sql-time-limit", daemon=True)
    try:
        timer.start()
        yield
    except TimeLimitExceeded as exc:
        if exc.args:
            raise
        raise TimeLimitExceeded(f"took longer than {seconds:g} s") from None
    finally:
        done.set()
        with lock:
            state["active"] = False
            if state["fired"]:
                _set_async_exc(ctypes.c_ulong(thread), None)  # NULL: take back one not delivered
