"""Slows down password guessing: too many failed sign-ins for one username, or from one
address, lock further attempts for a while. In memory, per process."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, *keys: str) -> float:
        """Seconds until another attempt is allowed for these keys; 0 when allowed now."""
        wait = 0.0
        for key in keys:
            failures = self._recent(key)
            if len(failures) >= self.max_failures:
                wait = max(wait, self.window - (self._clock() - failures[0]))
        return wait

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > 100_000:
            # Bounded memory under a spray of made-up usernames: forget expired keys first,
            # then the ones whose latest failure is oldest (a locked key's is recent).
            for key in list(self._failures):
                self._recent(key)
            if len(self._failures) > 100_000:
                stalest = sorted(self._failures, key=lambda k: self._failures[k][-1])
                for key in stalest[:50_000]:
                    del self._failures[key]

    def succeeded(self, key: str) -> None:
        """Forgets the key's failures (a right password for this username)."""
        self._failures.pop(key, None)

    def forget_one(self, key: str) -> None:
        """Takes back the latest failure (an attempt counted in advance that succeeded)."""
        failures = self._failures.get(key)
        if failures:
            failures.pop()
