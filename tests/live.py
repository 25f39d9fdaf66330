"""A real Clew served by uvicorn on 127.0.0.1 (in a thread of the test process), for tests
that need real sockets: slow or oversized bodies, concurrent clients, the spec's audit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx2 as httpx
import pytest
import uvicorn

from graph_api.app import create_app
from graph_api.settings import Settings
from tests.conftest import LOGIN, TEST_PASSWORD

ADMIN = "admin"


@dataclass
class LiveClew:
    url: str
    host: str
    port: int

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    def sign_in(self, username: str = ADMIN, password: str = TEST_PASSWORD) -> dict[str, str]:
        response = httpx.post(
            self.graphql, json={"query": LOGIN, "variables": {"u": username, "p": password}}
        )
        login = response.json()["data"]["login"]
        assert "token" in login, login
        return {"Authorization": f"Bearer {login['token']}"}

    def create_user(self, admin: dict[str, str], username: str, role: str) -> dict[str, str]:
        created = httpx.post(
            self.graphql,
            headers=admin,
            json={
                "query": "mutation ($u: String!, $p: String!, $r: Role!) { createUser(input: "
                "{username: $u, password: $p, role: $r}) { __typename } }",
                "variables": {"u": username, "p": TEST_PASSWORD, "r": role},
            },
        )
        assert "errors" not in created.json(), created.json()
        return self.sign_in(username)


@pytest.fixture(name="live_clew")
def live_clew_fixture(settings: Settings, store: object) -> Iterator[LiveClew]:
    # `store` is requested so the autouse fixture wipes the database first; the first
    # administrator is created at start-up, as `make run` does with CLEW_ADMIN_PASSWORD.
    app = create_app(replace(settings, admin_username=ADMIN, admin_password=TEST_PASSWORD))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    live = LiveClew(url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{live.url}/readyz").status_code == 200:
                users = httpx.post(
                    live.graphql,
                    json={"query": LOGIN, "variables": {"u": ADMIN, "p": TEST_PASSWORD}},
                )
                if "token" in users.json()["data"]["login"]:
                    break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the test Clew did not become ready in 60 s")
        time.sleep(0.1)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
