"""Sign-in throttle counts in a real Redis (Debian's redis-server): atomic across replicas, on
Redis's clock, and what a sign-in gets while Redis is down (this replica's own counts)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from starlette.testclient import TestClient

from graph_api.app import create_app
from graph_api.auth import throttle_redis
from graph_api.auth.throttle import digest
from graph_api.auth.throttle_redis import INDEX, PREFIX, RedisThrottle, SharedThrottle
from graph_api.errors import ClewError
from graph_api.settings import Settings
from tests.conftest import LOGIN, TEST_PASSWORD, sign_in
from tests.servers.fixtures import redis_server  # noqa: F401 (a fixture)
from tests.servers.redis import RedisInfo, start_redis, stop_redis
from tests.servers.sql import unused_port

USER = digest("user", "target")


@pytest.fixture
async def shared_state(redis_server: RedisInfo) -> AsyncIterator[aioredis.Redis]:  # noqa: F811
    client = aioredis.Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


def replica_counts(redis_server: RedisInfo) -> RedisThrottle:  # noqa: F811
    """What one replica holds: its own connection to the shared Redis."""
    return RedisThrottle(aioredis.Redis.from_url(redis_server.url), free_failures=5)


async def test_concurrent_guesses_through_two_replicas_are_counted_once_each(
    shared_state: aioredis.Redis,
    redis_server: RedisInfo,  # noqa: F811
) -> None:
    a, b = replica_counts(redis_server), replica_counts(redis_server)

    async def guess(i: int) -> float:
        replica = a if i % 2 else b
        attempt = await replica.count_attempt(
            user=USER,
            client=digest("address", f"10.0.0.{i}"),
            user_label="target",
            client_label=f"10.0.0.{i}",
        )
        return attempt.wait

    waits = await asyncio.gather(*(guess(i) for i in range(20)))
    # Checked and counted in one step: five got through to the password check, the rest
    # were told to wait, whichever replica they reached.
    assert sum(1 for w in waits if w == 0) == 5
    assert all(0 < w <= 1 for w in waits if w)
    (series,) = [t for t in await b.throttled_now() if t.kind == "username"]
    assert (series.label, series.failures) == ("target", 5)
    await a.close()
    await b.close()


async def test_counts_and_known_clients_are_expiring_keys(
    shared_state: aioredis.Redis,
    redis_server: RedisInfo,  # noqa: F811
) -> None:
    counts = replica_counts(redis_server)
    client = digest("address", "198.51.100.9")
    attempt = await counts.count_attempt(
        user=USER, client=client, user_label="target", client_label="198.51.100.9"
    )
    await counts.attempt_failed(attempt)
    # A failure is forgotten 15 minutes after the latest one, by Redis itself.
    failures = PREFIX + "f:" + USER.hex()
    assert 0 < await shared_state.pttl(failures) <= 900_000
    assert await shared_state.hget(failures, "count") == b"1"
    # No secret and no raw username in a key: digests only.
    assert all(b"target" not in key for key in await shared_state.keys("*") if key != INDEX)

    attempt = await counts.count_attempt(
        user=USER, client=client, user_label="target", client_label="198.51.100.9"
    )
    await counts.attempt_succeeded(attempt)
    assert not await shared_state.exists(failures)
    known = PREFIX + "k:" + USER.hex() + client.hex()
    assert await shared_state.pttl(known) > 29 * 86_400_000
    # That client is now known for the user: the username's delay does not apply to it.
    for n in range(8):
        stranger = await counts.count_attempt(
            user=USER,
            client=digest("address", f"203.0.113.{n}"),
            user_label="target",
            client_label=f"203.0.113.{n}",
        )
        await counts.attempt_failed(stranger)
    owner = await counts.count_attempt(
        user=USER, client=client, user_label="target", client_label="198.51.100.9"
    )
    assert owner.wait == 0
    await counts.close()


async def test_while_redis_is_down_each_replica_throttles_on_its_own_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(throttle_redis, "RETRY_AFTER_SECONDS", 0.0)
    private = start_redis(tmp_path, port=unused_port())
    throttle = SharedThrottle(private.url, free_failures=2)

    async def guess(n: int) -> float:
        attempt = await throttle.count_attempt(
            user=USER,
            client=digest("address", f"10.1.0.{n}"),
            user_label="target",
            client_label=f"10.1.0.{n}",
        )
        if not attempt.wait:
            await throttle.attempt_failed(attempt)
        return attempt.wait

    try:
        assert [await guess(n) for n in range(2)] == [0, 0]
        assert throttle.shared
        stop_redis(tmp_path)
        with caplog.at_level(logging.WARNING, logger="graph_api"):
            # Not locked out, not waved through: counted here, slowed down from the third.
            assert [await guess(n) for n in range(3)][:2] == [0, 0]
        assert not throttle.shared
        assert any(
            "sign-in throttling counts on this replica only" in r.getMessage()
            for r in caplog.records
        )
        assert [t.failures for t in await throttle.throttled_now()] == [2]
        start_redis(tmp_path, port=private.port)
        # Back on Redis (which was emptied): the earlier counts there are gone with it.
        assert await guess(9) == 0
        assert throttle.shared
    finally:
        stop_redis(tmp_path)
        await throttle.close()


def test_a_replica_whose_redis_is_down_still_signs_people_in_and_slows_guessing(
    settings: Settings,
) -> None:
    down = replace(settings, redis_url=f"redis://127.0.0.1:{unused_port()}/0")
    with TestClient(create_app(down)) as client:
        sign_in(client, "redis-outage-user")
        identity = client.app.state.identity  # type: ignore[attr-defined]

        def stranger(password: str) -> str:
            try:
                client.portal.call(
                    functools.partial(
                        identity.login, "redis-outage-user", password, client="203.0.113.7"
                    )
                )
            except ClewError as exc:
                return exc.code.value
            return "SIGNED_IN"

        answers = [stranger(f"guess-{n:04d}-guess") for n in range(6)]
        assert answers == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"]
        # The user, from the device they signed in from before, gets in.
        login = client.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"u": "redis-outage-user", "p": TEST_PASSWORD}},
        ).json()["data"]["login"]
        assert "token" in login, login
        ready = client.get("/readyz").json()
        assert ready["signInThrottle"] == "this replica only: Redis unreachable", ready
