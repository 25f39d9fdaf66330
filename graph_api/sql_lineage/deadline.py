"""A time limit on one statement's analysis, in the thread that runs it.

sqlglot is pure Python and has no way to stop it: a timer thread raises TimeLimitExceeded in
the analysing thread once the deadline has passed (CPython's PyThreadState_SetAsyncExc,
delivered between two bytecodes), which unwinds the parse wherever it is. Until then it
costs nothing; a trace function on every Python call, the way it was done before, made
sqlglot two to three times slower (tracing turns off the interpreter's specialised fast
paths). A limit that has not fired when the block ends is cancelled, and one that fired too
late to be delivered is taken back, so it never reaches the code after the block."""

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


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    thread = threading.get_ident()
    lock = threading.Lock()
    state = {"active": True, "fired": False}

    def expire() -> None:
        with lock:
            if state["active"]:
                raised = ctypes.py_object(TimeLimitExceeded)
                state["fired"] = _set_async_exc(ctypes.c_ulong(thread), raised) == 1

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    try:
        timer.start()
        yield
    except TimeLimitExceeded as exc:
        if exc.args:
            raise
        raise TimeLimitExceeded(f"took longer than {seconds:g} s") from None
    finally:
        timer.cancel()
        with lock:
            state["active"] = False
            if state["fired"]:
                _set_async_exc(ctypes.c_ulong(thread), None)  # NULL: take back one not delivered
