"""A time limit on one statement's analysis, in the thread that runs it.

sqlglot is pure Python and has no way to stop it: a trace function on Python calls (checked
every 2,000 calls) raises once the deadline has passed, which unwinds the parse wherever it
is. The trace is installed for the call only and the previous one restored after."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class TimeLimitExceeded(BaseException):
    """A BaseException, so that sqlglot's own `except Exception` (which turns what it catches
    into a TokenError or ParseError) lets it through."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    deadline = time.monotonic() + seconds
    calls = 0
    previous = sys.gettrace()

    def trace(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        nonlocal calls
        calls += 1
        if calls % 2000 == 0 and time.monotonic() > deadline:
            raise TimeLimitExceeded(f"took longer than {seconds:g} s")
        return None  # no line events: only calls are counted

    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous)
