"""Sign-in throttle counts shared by every replica, in Redis, on Redis's clock.

Each step is one Lua script (`lua/throttle_*.lua`), so it is atomic across replicas: an
attempt is checked and counted in one step before the password is checked, and twenty
guesses sent at once to two replicas are counted as twenty. Times come from Redis's `TIME`,
never from a replica's clock, so replicas whose clocks disagree still count one series. A
username's or address's failures are a hash that expires `window` after its latest failure;
a known client (a user who signed in from an address) is a key that expires after 30 days;
a sorted set indexes the live entries for `signInThrottles` and bounds how many are kept.
Every key carries the `{clew-throttle}` hash tag, so all of them live in one slot.

When Redis cannot be reached, `SharedThrottle` falls back to this replica's own counts
(`LoginThrottle`) and logs a warning: sign-ins go on (nobody is locked out by an outage of
throwaway state) and are still slowed down, but each replica counts alone until Redis is
back, so an attacker gets up to N times the attempts over N replicas meanwhile. /readyz says
so. Failures counted during the outage stay in the replica's memory until their window ends.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from graph_api.auth.throttle import (
    KNOWN_CLIENT_DAYS,
    Attempt,
    LoginThrottle,
    Throttled,
    by_failures,
    progressive_delay,
)

log = logging.getLogger("graph_api.auth.throttle")

PREFIX = "clew:{clew-throttle}:"
INDEX = PREFIX + "index"
# Redis answers in well under a millisecond; a sign-in waits at most this long for it.
TIMEOUT_SECONDS = 1.0
# After Redis failed, sign-ins use this replica's counts for this long before trying again.
RETRY_AFTER_SECONDS = 5.0
_LUA = Path(__file__).resolve().parent / "lua"


def _script(name: str) -> str:
    return (_LUA / f"throttle_{name}.lua").read_text()


class RedisThrottle:
    """The counts in Redis (raises RedisError or OSError when Redis cannot be reached)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        free_failures: int,
        client_free_failures: int | None = None,
        window_seconds: float = 900.0,
        max_delay: float = 900.0,
        max_entries: int = 100_000,
    ) -> None:
        self._redis = redis
        self.free_failures = free_failures
        self.client_free_failures = client_free_failures or free_failures * 4
        self._window_ms = int(window_seconds * 1000)
        self._max_delay_ms = int(max_delay * 1000)
        self._max_entries = max_entries
        self._attempt = redis.register_script(_script("attempt"))
        self._failed = redis.register_script(_script("failed"))
        self._succeeded = redis.register_script(_script("succeeded"))
        self._list = redis.register_script(_script("list"))

    @staticmethod
    def _keys(user: bytes, client: bytes) -> list[str]:
        return [
            PREFIX + "f:" + user.hex(),
            PREFIX + "f:" + client.hex(),
            PREFIX + "k:" + user.hex() + client.hex(),
        ]

    async def count_attempt(
        self,
        *,
        user: bytes,
        client: bytes,
        user_label: str,
        client_label: str,
        known_clients_pass: bool = True,
    ) -> Attempt:
        args: list[str | int] = [
            self.free_failures,
            self.client_free_failures,
            self._window_ms,
            self._max_delay_ms,
            1 if known_clients_pass else 0,
            user_label[:64],
            client_label[:64],
            self._max_entries,
        ]
        wait_ms, user_failures, client_failures = await self._attempt(
            keys=[*self._keys(user, client), INDEX], args=args
        )
        return Attempt(
            user, client, int(wait_ms) / 1000, int(user_failures), int(client_failures), self
        )

    async def attempt_failed(self, attempt: Attempt) -> None:
        keys = self._keys(attempt.user, attempt.client)[:2]
        await self._failed(keys=[*keys, INDEX], args=[self._window_ms])

    async def attempt_succeeded(self, attempt: Attempt) -> None:
        await self._succeeded(
            keys=[*self._keys(attempt.user, attempt.client), INDEX],
            args=[KNOWN_CLIENT_DAYS * 86_400_000],
        )

    async def throttled_now(self) -> list[Throttled]:
        now_ms, *flat = await self._list(
            keys=[INDEX], args=[self.free_failures, self.client_free_failures, self._window_ms]
        )
        now = int(now_ms) / 1000
        found = []
        for i in range(0, len(flat), 5):
            kind, label = (v.decode() if isinstance(v, bytes) else str(v) for v in flat[i : i + 2])
            count, first, last = (int(v) for v in flat[i + 2 : i + 5])
            free = self.client_free_failures if kind == "address" else self.free_failures
            delay = progressive_delay(count, free, self._max_delay_ms / 1000)
            found.append(
                Throttled(
                    kind=kind,
                    label=label,
                    failures=count,
                    retry_after=max(0.0, last / 1000 + delay - now),
                    first_failure_age=max(0.0, now - first / 1000),
                    last_failure_age=max(0.0, now - last / 1000),
                )
            )
        return by_failures(found)

    @property
    def shared(self) -> bool:
        return True

    async def close(self) -> None:
        await self._redis.aclose()


class SharedThrottle:
    """Redis's counts while Redis answers; this replica's own while it does not."""

    def __init__(self, url: str, *, free_failures: int) -> None:
        client = aioredis.Redis.from_url(
            url,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            # One immediate retry (a pooled connection that Redis closed), no back-off: a
            # sign-in must not wait seconds for an outage.
            retry=Retry(NoBackoff(), 1),
        )
        self.redis = RedisThrottle(client, free_failures=free_failures)
        self.local = LoginThrottle(free_failures=free_failures)
        self.free_failures = free_failures
        self.client_free_failures = self.redis.client_free_failures
        self._up = True
        # While Redis is down, when to try it again.
        self._retry_at = 0.0

    @property
    def shared(self) -> bool:
        return self._up

    def _went_down(self, exc: Exception) -> None:
        if self._up:
            log.warning(
                "Redis unreachable: sign-in throttling counts on this replica only until it "
                "is back (%s)",
                type(exc).__name__,
            )
        self._up = False
        self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS

    async def count_attempt(
        self,
        *,
        user: bytes,
        client: bytes,
        user_label: str,
        client_label: str,
        known_clients_pass: bool = True,
    ) -> Attempt:
        if self._up or time.monotonic() >= self._retry_at:
            try:
                attempt = await self.redis.count_attempt(
                    user=user,
                    client=client,
                    user_label=user_label,
                    client_label=client_label,
                    known_clients_pass=known_clients_pass,
                )
            except (RedisError, OSError) as exc:
                self._went_down(exc)
            else:
                if not self._up:
                    self._up = True
                    log.info("Redis reachable again: sign-in throttling is shared again")
                return attempt
        return await self.local.count_attempt(
            user=user,
            client=client,
            user_label=user_label,
            client_label=client_label,
            known_clients_pass=known_clients_pass,
        )

    async def attempt_failed(self, attempt: Attempt) -> None:
        try:
            await attempt.counts.attempt_failed(attempt)
        except (RedisError, OSError) as exc:
            # The failure stays counted (from before the password was checked).
            self._went_down(exc)

    async def attempt_succeeded(self, attempt: Attempt) -> None:
        try:
            await attempt.counts.attempt_succeeded(attempt)
        except (RedisError, OSError) as exc:
            self._went_down(exc)

    async def throttled_now(self) -> list[Throttled]:
        found = self.local.throttled()
        if self._up or time.monotonic() >= self._retry_at:
            try:
                found += await self.redis.throttled_now()
            except (RedisError, OSError) as exc:
                self._went_down(exc)
        return by_failures(found)

    async def close(self) -> None:
        await self.redis.close()
