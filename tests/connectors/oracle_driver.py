"""A stand-in for python-oracledb's AsyncConnection that records every statement and its
binds, and the settings of the live tests: shared by the Oracle connector's test modules.

Set CLEW_TEST_ORACLE_DSN (e.g. localhost:1521/FREEPDB1, the compose file's gvenzl/oracle-free
service), CLEW_TEST_ORACLE_USER and CLEW_TEST_ORACLE_PASSWORD to also run the live tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import oracledb
import pytest
from oracledb import errors as driver_errors

from graph_api.connectors.base import ConnectionConfig
from graph_api.connectors.oracle import PING_SQL, VERSION_SQL
from graph_api.connectors.oracle_catalog import (
    COLUMNS_SQL,
    DISCOVER_SQL,
    FIND_OWNERS_SQL,
    FIND_TABLES_SQL,
    INDEXES_SQL,
    LIST_TABLES_SQL,
    MVIEW_QUERIES_SQL,
    NEAR_OWNERS_SQL,
    NEAR_TABLES_SQL,
    OWNER_TABLES_SQL,
    VIEW_TEXTS_SQL,
)
from graph_api.models import SourceType

SECRET = "T1ger-S3cret-pw"
CATALOG_SQL = {
    "VERSION_SQL": VERSION_SQL,
    "PING_SQL": PING_SQL,
    "LIST_TABLES_SQL": LIST_TABLES_SQL,
    "FIND_OWNERS_SQL": FIND_OWNERS_SQL,
    "FIND_TABLES_SQL": FIND_TABLES_SQL,
    "NEAR_TABLES_SQL": NEAR_TABLES_SQL,
    "COLUMNS_SQL": COLUMNS_SQL,
    "INDEXES_SQL": INDEXES_SQL,
    "OWNER_TABLES_SQL": OWNER_TABLES_SQL,
    "DISCOVER_SQL": DISCOVER_SQL,
    "NEAR_OWNERS_SQL": NEAR_OWNERS_SQL,
    "VIEW_TEXTS_SQL": VIEW_TEXTS_SQL,
    "MVIEW_QUERIES_SQL": MVIEW_QUERIES_SQL,
}
BIND = re.compile(r":([a-z_]+)")


def config(**overrides: Any) -> ConnectionConfig:
    settings: dict[str, Any] = {
        "type": SourceType.ORACLE,
        "host": "db.example.com",
        "port": 1521,
        "service_name": "FREEPDB1",
        "username": "app",
        "password": SECRET,
        "connect_timeout": 1.0,
    }
    settings.update(overrides)
    return ConnectionConfig(**settings)


# A stand-in for oracledb.AsyncConnection


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self._conn = conn
        self._rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    async def execute(self, sql: str, binds: dict[str, Any]) -> None:
        self._conn.calls.append((sql, dict(binds)))
        answer = self._conn.answers.get(sql, [])
        if isinstance(answer, BaseException):
            raise answer
        self._rows = answer

    async def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


class FakeConnection:
    version = "23.4.0.24.5"
    username = "app"

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_timeout = 0
        self.closed = False

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeConnection]:
    conn = FakeConnection({})
    connects: list[dict[str, Any]] = []

    async def connect_async(**kwargs: Any) -> FakeConnection:
        connects.append(kwargs)
        return conn

    monkeypatch.setattr(oracledb, "connect_async", connect_async)
    yield conn
    assert conn.closed, "every operation closes its connection"
    for kwargs in connects:
        assert kwargs["user"] == "app" and kwargs["password"] == SECRET
    # Every statement sent is one of the module's constants, with exactly its binds.
    for sql, binds in conn.calls:
        assert sql in CATALOG_SQL.values()
        assert set(BIND.findall(sql)) == set(binds), sql


def server_error(code: int, text: str) -> oracledb.DatabaseError:
    """An error as the thin driver raises what the server sent (ORA-NNNNN)."""
    error = driver_errors._Error(f"ORA-{code:05d}: {text}", code=code)
    return error.exc_type(error)


def driver_error(number: int, cause: Exception | None = None, **args: Any) -> Exception:
    """An error as the driver raises its own (DPY-NNNN), e.g. around a socket error."""
    if cause is None:
        return driver_errors._create_exception(number, **args)
    return driver_errors._create_exception(number, cause=cause, **args)


# Live tests against a real Oracle Database


LIVE_DSN = os.environ.get("CLEW_TEST_ORACLE_DSN")
LIVE_USER = os.environ.get("CLEW_TEST_ORACLE_USER")
LIVE_PASSWORD = os.environ.get("CLEW_TEST_ORACLE_PASSWORD")
live = pytest.mark.skipif(
    not (LIVE_DSN and LIVE_USER and LIVE_PASSWORD),
    reason="set CLEW_TEST_ORACLE_DSN, CLEW_TEST_ORACLE_USER and CLEW_TEST_ORACLE_PASSWORD "
    "to run against a real Oracle Database (e.g. the compose file's oracle service)",
)
LIVE_TABLE = "CLEW_TEST_CUSTOMERS"


def live_config(**overrides: Any) -> ConnectionConfig:
    settings: dict[str, Any] = {
        "type": SourceType.ORACLE,
        "uri": LIVE_DSN,
        "username": LIVE_USER,
        "password": LIVE_PASSWORD,
        "connect_timeout": 10.0,
    }
    settings.update(overrides)
    return ConnectionConfig(**settings)
