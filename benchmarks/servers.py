"""The harness's own Neo4j and Clew, on their own ports, and the Clew process's memory."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from graph_api import neo4j_local
from graph_api.settings import REPO_ROOT

PASSWORD = "bench-password-not-secret-" + "x" * 8
LOGIN = (
    "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { "
    "... on LoginSuccess { token } ... on LoginFailed { code message } } }"
)


@dataclass
class Memory:
    """Peak resident memory of one process, polled from /proc (wait4 would also count the
    harness, its parent)."""

    pid: int
    peak_kib: int = 0
    samples: int = 0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def read(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except FileNotFoundError:
            pass
        return 0

    def cpu_seconds(self) -> float:
        """User + system CPU the process has used so far."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def _poll(self) -> None:
        while True:
            self.peak_kib = max(self.peak_kib, self.read())
            self.samples += 1
            await asyncio.sleep(0.05)

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def start_neo4j(*, port: int, data_dir: Path, heap: str, pagecache: str) -> str:
    return neo4j_local.start(data_dir=data_dir, port=port, heap=heap, pagecache=pagecache).bolt_uri


def stop_neo4j(data_dir: Path) -> None:
    neo4j_local.stop(data_dir=data_dir)


def clew_env(bolt_uri: str, data_dir: Path, neo4j_dir: Path) -> dict[str, str]:
    from graph_api.secrets import generate_key

    user, password = neo4j_local.auth(data_dir=neo4j_dir)
    return {
        **os.environ,
        "NEO4J_URI": bolt_uri,
        "NEO4J_USER": user,
        "NEO4J_PASSWORD": password,
        "CLEW_SECRET_KEYS": generate_key(),
        "CLEW_DATA_DIR": str(data_dir),
        "CLEW_LOG_LEVEL": "WARNING",
        "CLEW_ADMIN_USERNAME": "bench",
        "CLEW_ADMIN_PASSWORD": PASSWORD,
    }


@asynccontextmanager
async def clew_server(*, port: int, env: dict[str, str]) -> AsyncIterator[ClewServer]:
    """`clew user bootstrap`, then uvicorn serving the app, as `make run` does."""
    python = sys.executable
    subprocess.run(  # noqa: ASYNC221 - once, before anything is timed
        [python, "-m", "graph_api.cli", "user", "bootstrap"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(  # noqa: ASYNC220 - the server outlives this call
        [
            python,
            "-m",
            "uvicorn",
            "graph_api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO_ROOT,
    )
    server = ClewServer(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        async with httpx2.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(server.url + "/readyz")).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Clew did not start; run `clew serve` by hand to see why.")
                await asyncio.sleep(0.2)
            response = await client.post(
                server.url + "/graphql",
                json={"query": LOGIN, "variables": {"u": "bench", "p": PASSWORD}},
            )
            server.token = response.json()["data"]["login"]["token"]
        server.memory.start()
        yield server
    finally:
        await server.memory.stop()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


class ClewServer:
    def __init__(self, url: str, process: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.process = process
        self.token = ""
        self.memory = Memory(process.pid)

    def client(self, connections: int = 1) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=120,
            limits=httpx2.Limits(max_connections=connections),
        )


def run_id() -> str:
    return secrets.token_hex(3)
