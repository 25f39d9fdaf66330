"""The test servers as session fixtures, one copy for every test module that needs them.

Each server is started once per session on its CLEW_TEST_*_PORT and stopped at the end only
if this session started it: one found running belongs to someone else (another test run),
and CLEW_TEST_KEEP_SERVERS=1 keeps even ours for the next run. A module uses them by name
after importing them (`from tests.servers.fixtures import postgres`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.servers import nosql, redis, sql

SERVERS_DIR = Path(os.environ.get("CLEW_TEST_SERVERS_DIR", sql.REPO_ROOT / ".clew/test/servers"))

Info = TypeVar("Info", sql.ServerInfo, nosql.ServerInfo)


def _serve(
    start: Callable[..., Info], stop: Callable[[Path], Any], port_variable: str, port: int
) -> Iterator[Info]:
    try:
        info = start(SERVERS_DIR, port=int(os.environ.get(port_variable, str(port))))
    except (sql.ServerSetupError, nosql.ServerError) as exc:
        pytest.fail(str(exc), pytrace=False)
    yield info
    if not info.reused and os.environ.get("CLEW_TEST_KEEP_SERVERS") != "1":
        stop(SERVERS_DIR)


@pytest.fixture(scope="session")
def postgres() -> Iterator[sql.ServerInfo]:
    yield from _serve(sql.start_postgres, sql.stop_postgres, "CLEW_TEST_POSTGRES_PORT", 25432)


@pytest.fixture(scope="session")
def mariadb() -> Iterator[sql.ServerInfo]:
    yield from _serve(sql.start_mariadb, sql.stop_mariadb, "CLEW_TEST_MARIADB_PORT", 23306)


@pytest.fixture(scope="session")
def ferretdb() -> Iterator[nosql.ServerInfo]:
    yield from _serve(nosql.start_ferretdb, nosql.stop_ferretdb, "CLEW_TEST_FERRETDB_PORT", 27117)


@pytest.fixture(scope="session")
def elasticsearch() -> Iterator[nosql.ServerInfo]:
    yield from _serve(
        nosql.start_elasticsearch,
        nosql.stop_elasticsearch,
        "CLEW_TEST_ELASTICSEARCH_PORT",
        29200,
    )


@pytest.fixture(scope="session")
def redis_server() -> Iterator[redis.RedisInfo]:
    try:
        info = redis.start_redis(
            SERVERS_DIR, port=int(os.environ.get("CLEW_TEST_REDIS_PORT", "6379"))
        )
    except sql.ServerSetupError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield info
    if not info.reused and os.environ.get("CLEW_TEST_KEEP_SERVERS") != "1":
        redis.stop_redis(SERVERS_DIR)
