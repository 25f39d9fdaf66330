"""Slows down password guessing without letting anyone lock an account.

Failed sign-ins are counted per username and per client address. After `free_failures` of
them, each further attempt waits: 1 s, 2 s, 4 s, ... up to `max_delay` (a progressive delay,
not a lock-out). A username's count is forgotten after `window` seconds without a failure.
A client that signed in successfully as a user before (the same address) is not slowed down
by that username's count, so a stranger guessing the admin's password cannot keep the admin
out; the address count still applies to it.

Keys are SHA-256 digests: a 10 MB username costs the same 32 bytes as a short one. Expired
entries are purged as the throttle is used; the table never holds more than `max_entries`.

Where the counts live is a backend behind one async interface (`ThrottleCounts`): an attempt
is checked and counted in one step (`count_attempt`), before the password is checked, then
confirmed as failed or succeeded. `LoginThrottle` keeps them in this process's memory on its
monotonic clock; with CLEW_REDIS_URL set, `throttle_redis.SharedThrottle` keeps them in Redis
on Redis's clock, so that every replica counts one series (see that module).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# Days a successful sign-in from an address keeps that address known for its user.
KNOWN_CLIENT_DAYS = 30


def digest(kind: str, value: str) -> bytes:
    return hashlib.sha256(f"{kind}\0{value}".encode(errors="replace")).digest()


@dataclass
class _Failures:
    count: int
    last: float
    # What an administrator sees (a username cut to 64 characters, or an address).
    label: str
    first: float


@dataclass(frozen=True)
class Throttled:
    """A username or address whose sign-ins are being slowed down, for administrators."""

    kind: str  # "username" or "address"
    label: str
    failures: int
    retry_after: float
    first_failure_age: float
    last_failure_age: float


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt as the throttle saw it: refused while `wait` (seconds) runs, else
    counted as failed in advance; `counts` is the backend that counted it (the one to tell how
    it ended)."""

    user: bytes
    client: bytes
    wait: float
    user_failures: int
    client_failures: int
    counts: ThrottleCounts


class ThrottleCounts(Protocol):
    free_failures: int
    client_free_failures: int

    async def count_attempt(
        self,
        *,
        user: bytes,
        client: bytes,
        user_label: str,
        client_label: str,
        known_clients_pass: bool = True,
    ) -> Attempt:
        """Checks the attempt and, unless it must wait, counts it as failed: in one step."""
        ...

    async def attempt_failed(self, attempt: Attempt) -> None:
        """The password was wrong: the delays of the counted failures start now."""
        ...

    async def attempt_succeeded(self, attempt: Attempt) -> None:
        """The password was right: takes the failure counted in advance back."""
        ...

    async def throttled_now(self) -> list[Throttled]:
        """Every username and address being slowed down now, most failures first."""
        ...

    @property
    def shared(self) -> bool:
        """True while the counts are the same on every replica."""
        ...

    async def close(self) -> None: ...


def progressive_delay(count: int, free: int, max_delay: float) -> float:
    """1 s, 2 s, 4 s, ... once `count` reaches `free`, up to `max_delay` (lua/throttle_attempt.lua
    computes the same in Redis)."""
    if count < free:
        return 0.0
    return float(min(max_delay, 2.0 ** min(count - free, 30)))


def by_failures(found: list[Throttled]) -> list[Throttled]:
    return sorted(found, key=lambda t: (-t.failures, t.kind, t.label))


class LoginThrottle:
    """The counts in this process's memory, on its monotonic clock."""

    def __init__(
        self,
        *,
        free_failures: int = 5,
        client_free_failures: int | None = None,
        window_seconds: float = 900.0,
        max_delay: float = 900.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        # One address may be a whole office behind NAT: it gets more tries than one username.
        self.client_free_failures = client_free_failures or free_failures * 4
        self.window = window_seconds
        self.max_delay = max_delay
        self.max_entries = max_entries
        self._clock = clock
        self._failures: dict[bytes, _Failures] = {}
        self._kinds: dict[bytes, str] = {}
        # digest(user, address) -> when that client last signed in as that user.
        self._known: dict[bytes, float] = {}
        self._purged_at = clock()

    def __len__(self) -> int:
        """Entries held (failure counts and known clients)."""
        return len(self._failures) + len(self._known)

    def _free(self, kind: str) -> int:
        return self.client_free_failures if kind == "address" else self.free_failures

    def delay_for(self, count: int, kind: str = "username") -> float:
        """How long after its latest failure a key with `count` failures must wait."""
        return progressive_delay(count, self._free(kind), self.max_delay)

    def _live(self, key: bytes, now: float) -> _Failures | None:
        entry = self._failures.get(key)
        if entry is not None and now - entry.last > self.window:
            del self._failures[key]
            self._kinds.pop(key, None)
            return None
        return entry

    def _wait(self, key: bytes, now: float) -> float:
        entry = self._live(key, now)
        if entry is None:
            return 0.0
        delay = self.delay_for(entry.count, self._kinds.get(key, "username"))
        return max(0.0, entry.last + delay - now)

    def is_known(self, user_key: bytes, client_key: bytes) -> bool:
        seen = self._known.get(user_key + client_key)
        return seen is not None and self._clock() - seen <= KNOWN_CLIENT_DAYS * 86_400

    def retry_after(self, *, user: bytes, client: bytes, known_clients_pass: bool = True) -> float:
        """Seconds until this client may try this username again; 0 when it may now."""
        now = self._clock()
        wait = self._wait(client, now)
        if not (known_clients_pass and self.is_known(user, client)):
            wait = max(wait, self._wait(user, now))
        return wait

    # The async interface (ThrottleCounts). No await between check and count: concurrent
    # attempts in this process cannot slip past the check together.

    async def count_attempt(
        self,
        *,
        user: bytes,
        client: bytes,
        user_label: str,
        client_label: str,
        known_clients_pass: bool = True,
    ) -> Attempt:
        wait = self.retry_after(user=user, client=client, known_clients_pass=known_clients_pass)
        if wait > 0:
            return Attempt(user, client, wait, 0, 0, self)
        user_failures = self.failed(user, kind="username", label=user_label)
        client_failures = self.failed(client, kind="address", label=client_label)
        return Attempt(user, client, 0.0, user_failures, client_failures, self)

    async def attempt_failed(self, attempt: Attempt) -> None:
        self.touch(attempt.user, attempt.client)

    async def attempt_succeeded(self, attempt: Attempt) -> None:
        self.succeeded(user=attempt.user, client=attempt.client)

    async def throttled_now(self) -> list[Throttled]:
        return self.throttled()

    @property
    def shared(self) -> bool:
        return False

    async def close(self) -> None:
        return None

    def failed(self, key: bytes, *, kind: str, label: str) -> int:
        """Counts a failure; returns the key's failures so far."""
        now = self._clock()
        self._purge(now)
        entry = self._live(key, now)
        if entry is None:
            entry = self._failures[key] = _Failures(0, now, label[:64], now)
            self._kinds[key] = kind
        entry.count += 1
        entry.last = now
        return entry.count

    def touch(self, *keys: bytes) -> None:
        """The failures counted in advance are confirmed now: their delays start now."""
        now = self._clock()
        for key in keys:
            entry = self._failures.get(key)
            if entry is not None:
                entry.last = now

    def forget_one(self, key: bytes) -> None:
        """Takes back one failure (an attempt counted in advance that was right)."""
        entry = self._failures.get(key)
        if entry is not None:
            entry.count -= 1
            if entry.count <= 0:
                del self._failures[key]
                self._kinds.pop(key, None)

    def succeeded(self, *, user: bytes, client: bytes) -> None:
        """A right password: the username's failures end, and this client is known for it."""
        self._failures.pop(user, None)
        self._kinds.pop(user, None)
        self.forget_one(client)
        self._purge(self._clock())
        self._known[user + client] = self._clock()

    def throttled(self) -> list[Throttled]:
        """Every username and address being slowed down now, most failures first."""
        now = self._clock()
        found = []
        for key in list(self._failures):
            entry = self._live(key, now)
            kind = self._kinds.get(key, "username")
            if entry is None or entry.count < self._free(kind):
                continue
            found.append(
                Throttled(
                    kind=kind,
                    label=entry.label,
                    failures=entry.count,
                    retry_after=self._wait(key, now),
                    first_failure_age=now - entry.first,
                    last_failure_age=now - entry.last,
                )
            )
        return by_failures(found)

    def _purge(self, now: float) -> None:
        # A sweep at most once a minute keeps the cost flat; a full table is swept at once.
        if now - self._purged_at < 60 and len(self) < self.max_entries:
            return
        self._purged_at = now
        for key in list(self._failures):
            self._live(key, now)
        horizon = KNOWN_CLIENT_DAYS * 86_400
        for key, seen in list(self._known.items()):
            if now - seen > horizon:
                del self._known[key]
        if len(self._failures) >= self.max_entries:
            # Still full of live entries: drop the half whose latest failure is oldest.
            stalest = sorted(self._failures, key=lambda k: self._failures[k].last)
            for key in stalest[: len(stalest) // 2]:
                del self._failures[key]
                self._kinds.pop(key, None)
        if len(self._known) >= self.max_entries:
            for key in sorted(self._known, key=self._known.__getitem__)[: len(self._known) // 2]:
                del self._known[key]
