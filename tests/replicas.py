"""Clew replicas as real processes: `uvicorn graph_api.app:create_app --factory` subprocesses
on 127.0.0.1 over the test session's Neo4j (and Redis, when given), as an operator runs them.

Each replica's log goes to a file under the test data dir and is shown when it fails to
start. Ports: CLEW_TEST_REPLICA_PORT and the next ones (default 8400, 8401, ...).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import redis
from neo4j import GraphDatabase
from websockets.sync.client import ClientConnection, connect

from graph_api.settings import REPO_ROOT, Settings
from tests.conftest import LOGIN, TEST_DATA_DIR, TEST_PASSWORD, WIPE

ADMIN = "admin"
BASE_PORT = int(os.environ.get("CLEW_TEST_REPLICA_PORT", "8400"))
START_TIMEOUT = 120.0


class ReplicaError(AssertionError):
    pass


@dataclass
class Replica:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def post(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        response = httpx.post(
            self.graphql, json={"query": query, "variables": variables or {}}, **kwargs
        )
        return response.json()

    def login(self, username: str, password: str) -> dict[str, Any]:
        return self.post(LOGIN, {"u": username, "p": password})["data"]["login"]

    def sign_in(self, username: str = ADMIN, password: str = TEST_PASSWORD) -> dict[str, str]:
        login = self.login(username, password)
        assert "token" in login, login
        return {"Authorization": f"Bearer {login['token']}"}

    def ready(self) -> httpx.Response:
        return httpx.get(f"{self.url}/readyz", timeout=10)

    @contextmanager
    def subscribe(
        self, token: str, query: str, variables: dict[str, Any]
    ) -> Iterator[ClientConnection]:
        ws_url = self.url.replace("http://", "ws://") + "/graphql"
        with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": token}}))
            assert json.loads(ws.recv(timeout=30))["type"] == "connection_ack"
            ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": query, "variables": variables},
                    }
                )
            )
            yield ws

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = 120.0) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def replica_env(settings: Settings, **extra: str) -> dict[str, str]:
    assert settings.neo4j_uri is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLEW_", "OTEL_"))}
    env.update(
        NEO4J_URI=settings.neo4j_uri,
        NEO4J_USER=settings.neo4j_user,
        NEO4J_PASSWORD=settings.neo4j_password,
        # Every replica must hold the same keys: a token or secret from one opens on the other.
        CLEW_SECRET_KEYS=",".join(settings.secret_keys),
        CLEW_ADMIN_USERNAME=ADMIN,
        CLEW_ADMIN_PASSWORD=TEST_PASSWORD,
        CLEW_DATA_DIR=str(TEST_DATA_DIR),
        CLEW_LOG_LEVEL="INFO",
        # No balancer to wait for (the load test, which has one, sets its own).
        CLEW_SHUTDOWN_DELAY_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    if settings.neo4j_database:
        env["NEO4J_DATABASE"] = settings.neo4j_database
    env.update(extra)
    return env


def start_replica(name: str, port: int, env: dict[str, str]) -> Replica:
    log_path = TEST_DATA_DIR / f"replica-{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "graph_api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--ws",
                "websockets-sansio",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Replica(name=name, port=port, proc=proc, log_path=log_path)


def wait_ready(replica: Replica, *, shared_events: bool) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if replica.proc.poll() is not None:
            raise ReplicaError(f"replica {replica.name} exited:\n{replica.log()}")
        try:
            response = replica.ready()
            body = response.json()
            if response.status_code == 200 and (
                not shared_events or body.get("events") == "shared"
            ):
                if "token" in replica.login(ADMIN, TEST_PASSWORD):
                    return
        except (httpx.TransportError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise ReplicaError(f"replica {replica.name} never became ready:\n{replica.log()}")
        time.sleep(0.25)


def wipe(settings: Settings) -> None:
    assert settings.neo4j_uri is not None
    with GraphDatabase.driver(
        settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password)
    ) as driver:
        driver.execute_query(WIPE, database_=settings.neo4j_database)


@contextmanager
def replicas(settings: Settings, count: int = 2, **extra: str) -> Iterator[list[Replica]]:
    """`count` replicas over one wiped catalog (and an emptied Redis: throttle counts from an
    earlier run would slow this one's sign-ins), stopped (SIGTERM) at the end."""
    wipe(settings)
    shared = "CLEW_REDIS_URL" in extra
    if shared:
        with redis.Redis.from_url(extra["CLEW_REDIS_URL"]) as shared_state:
            shared_state.flushdb()
    started: list[Replica] = []
    try:
        env = replica_env(settings, CLEW_REPLICAS=str(count), **extra)
        for index in range(count):
            replica = start_replica(chr(ord("a") + index), BASE_PORT + index, env)
            started.append(replica)
            # One at a time: the first creates the administrator, the next finds it.
            wait_ready(replica, shared_events=shared)
        yield started
    finally:
        for replica in started:
            replica.stop()
