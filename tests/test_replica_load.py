"""Load over two real replicas behind a real HAProxy (deploy/haproxy-replicas.cfg on loopback)
while one of them is restarted: what benchmarks/replicas_load.py measures for 60 s, for 20
(longer when the restart outlasts the second half)."""

from __future__ import annotations

import asyncio

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.replicas_load import balancer, restart, run_load
from graph_api.settings import Settings
from tests.replicas import replica_env, replicas
from tests.servers.fixtures import redis_server  # noqa: F401 (a fixture)
from tests.servers.redis import RedisInfo
from tests.servers.sql import unused_port


@pytest.mark.slow  # two replicas started, one restarted, 20 s of load: ~90 s on 2 busy cores
def test_a_rolling_restart_under_load_fails_no_request_and_loses_no_write(
    settings: Settings,
    redis_server: RedisInfo,  # noqa: F811
) -> None:
    extra = {"CLEW_REDIS_URL": redis_server.url, "CLEW_SHUTDOWN_DELAY_SECONDS": "5"}
    with replicas(settings, count=2, **extra) as (a, b):
        env = replica_env(settings, CLEW_REPLICAS="2", **extra)
        with balancer(port=unused_port(), servers=[(a.name, a.port), (b.name, b.port)]) as url:
            token = a.sign_in()["Authorization"].removeprefix("Bearer ")
            load = asyncio.run(
                run_load(url, token, clients=16, seconds=20, restart=lambda: restart(a, env))
            )
            # Once back, the restarted replica gets its share again.
            served = httpx.get(f"{a.url}/metrics").text
    counted = [
        sample.value
        for family in text_string_to_metric_families(served)
        if family.name == "clew_graphql_requests"
        for sample in family.samples
        if sample.name == "clew_graphql_requests_total"
    ]
    assert sum(counted) > 0
    summary = load.summary()
    # A drained replica keeps answering until the balancer has taken it out: nobody sees an
    # error, and every write that was acknowledged is there afterwards.
    assert summary["failures"] == {}, summary
    assert summary["writes_acknowledged"] > 0 and summary["acknowledged_writes_missing"] == 0
    # The subscriber on the restarted replica was cut off, reconnected through the balancer,
    # and kept receiving the writes' events.
    assert summary["events_after_restart"] > 0, summary
