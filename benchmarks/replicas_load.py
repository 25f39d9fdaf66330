"""Load over two replicas behind HAProxy, with one replica restarted halfway.

`python -m benchmarks.replicas_load` starts its own Neo4j (port 8297), Redis (8296), two Clew
replicas (8401, 8402) and HAProxy (8400) with the balancer settings of
deploy/haproxy-replicas.cfg, all on 127.0.0.1. 16 clients then write (createTable) and read
back what they wrote through the balancer for 60 s while a subscriber follows catalogChanges
through it too; halfway, replica A gets SIGTERM (it drains and stops, as an orchestrator's
rolling restart does) and is started again. At the end every acknowledged write is read back.

What it checks is what the README promises: no request fails (the draining replica keeps
serving until the balancer has taken it out), no acknowledged write is lost, and events keep
reaching the subscriber (whose WebSocket on the restarted replica is closed and reopened
through the balancer). tests/test_replica_load.py runs the same for a shorter time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from graph_api.settings import REPO_ROOT

DEPLOY_CONFIG = REPO_ROOT / "deploy" / "haproxy-replicas.cfg"
CREATE = """mutation ($name: String!) { createTable(input: {name: $name, schema: "load"}) {
  __typename ... on CreateTableSuccess { table { id } } ... on UserError { code message } } }"""
READ = "query ($id: ID!) { table(id: $id) { id name } }"
WATCH = 'subscription { catalogChanges(entityTypes: ["TABLE"]) { entityId action } }'
# Ids asked for per verification request (aliases; the limit is 50).
VERIFY_BATCH = 40


def haproxy_config(*, port: int, servers: list[tuple[str, int]]) -> str:
    """deploy/haproxy-replicas.cfg on loopback: its timeouts, health checks and balancing as
    they are, with 127.0.0.1 addresses instead of Docker's names and resolver."""
    text = DEPLOY_CONFIG.read_text()
    text = re.sub(r"\nresolvers docker\n(?:[ \t]+.*\n)+", "\n", text)
    text = text.replace(" resolvers docker init-addr last,libc,none", "")
    text = re.sub(r"bind :\d+", f"bind 127.0.0.1:{port}", text)
    text = re.sub(r"\n    server .*", "", text)
    lines = "".join(f"\n    server {name} 127.0.0.1:{p}" for name, p in servers)
    return text.rstrip("\n") + lines + "\n"


@contextmanager
def balancer(*, port: int, servers: list[tuple[str, int]], timeout: float = 60.0) -> Iterator[str]:
    """HAProxy in the foreground on 127.0.0.1:`port`; yields its URL once every server is up."""
    binary = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/bin")
    if binary is None:
        raise RuntimeError("haproxy is not installed: run tests/servers/install_debian.sh (root).")
    with tempfile.TemporaryDirectory(prefix="clew-lb-") as tmp:
        config = Path(tmp) / "haproxy.cfg"
        config.write_text(haproxy_config(port=port, servers=servers))
        log = (Path(tmp) / "haproxy.log").open("wb")
        proc = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            # Both servers must have passed their health checks (rise 2): ask each through
            # the balancer, which alternates.
            seen_ok = 0
            while seen_ok < 4:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"HAProxy did not come up:\n{(Path(tmp) / 'haproxy.log').read_text()}"
                    )
                try:
                    ok = httpx.get(url + "/readyz", timeout=5).status_code == 200
                except httpx.TransportError:
                    ok = False
                seen_ok = seen_ok + 1 if ok else 0
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            log.close()


@dataclass
class Load:
    """What the clients saw."""

    ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    # The first message of each kind of failure, to show.
    examples: dict[str, str] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    reconnects: int = 0
    connected_at: list[float] = field(default_factory=list)
    acknowledged_at: list[float] = field(default_factory=list)
    restart_began: float = 0.0
    restart_ended: float = 0.0
    seconds: float = 0.0
    # When the clients stop (moved on when the restart outlasts the run).
    stop_at: float = 0.0
    missing: list[str] = field(default_factory=list)

    def fail(self, kind: str, message: str) -> None:
        self.failures[kind] += 1
        self.examples.setdefault(kind, message[:300])

    def summary(self) -> dict[str, Any]:
        took = sorted(self.latencies)
        acknowledged = set(self.acknowledged)
        announced = {entity for _, entity in self.events}
        after = [t for t, _ in self.events if t > self.restart_ended]
        return {
            "requests": self.ok + sum(self.failures.values()),
            "ok": self.ok,
            "failures": dict(self.failures),
            "failure_examples": self.examples,
            "requests_per_second": round((self.ok + sum(self.failures.values())) / self.seconds, 1),
            "median_ms": round(statistics.median(took) * 1000, 1) if took else None,
            "p95_ms": round(took[int(len(took) * 0.95)] * 1000, 1) if took else None,
            "p99_ms": round(took[int(len(took) * 0.99)] * 1000, 1) if took else None,
            "max_ms": round(took[-1] * 1000, 1) if took else None,
            "writes_acknowledged": len(acknowledged),
            "acknowledged_writes_missing": len(self.missing),
            "events_received": len(self.events),
            "acknowledged_writes_announced": len(acknowledged & announced),
            "events_after_restart": len(after),
            "subscriber_reconnects": self.reconnects,
            "seconds": round(self.seconds, 1),
            "restart_seconds": round(self.restart_ended - self.restart_began, 1),
        }


def _problem(response: httpx.Response) -> tuple[str, str] | None:
    """The failure a client would see in this answer, or None when it is a success."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}", response.text
    body = response.json()
    if body.get("errors"):
        error = body["errors"][0]
        return error.get("extensions", {}).get("code", "ERROR"), error["message"]
    for value in (body.get("data") or {}).values():
        if isinstance(value, dict) and "code" in value:
            return value["code"], value.get("message", "")
    return None


async def _request(
    http: httpx.AsyncClient, load: Load, query: str, variables: dict[str, Any]
) -> dict[str, Any] | None:
    """One request through the balancer: its data, or None after counting its failure."""
    began = time.monotonic()
    try:
        response = await http.post("/graphql", json={"query": query, "variables": variables})
    except httpx.TransportError as exc:
        load.fail(f"transport: {type(exc).__name__}", str(exc))
        return None
    load.latencies.append(time.monotonic() - began)
    problem = _problem(response)
    if problem is not None:
        load.fail(*problem)
        return None
    load.ok += 1
    data: dict[str, Any] = response.json()["data"]
    return data


async def _client(index: int, url: str, token: str, load: Load) -> None:
    """Writes a table, then reads it back (through whichever replica the balancer picks)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        n = 0
        while time.monotonic() < load.stop_at:
            n += 1
            created = await _request(http, load, CREATE, {"name": f"c{index:02d}_{n:06d}"})
            if created is None:
                continue
            table_id = created["createTable"]["table"]["id"]
            load.acknowledged.append(table_id)
            load.acknowledged_at.append(time.monotonic())
            read = await _request(http, load, READ, {"id": table_id})
            if read is not None and read["table"] is None:
                load.fail("ACKNOWLEDGED_WRITE_NOT_READ", f"table {table_id}")


async def _subscriber(url: str, token: str, load: Load) -> None:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    while time.monotonic() < load.stop_at:
        try:
            async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
                await ws.send(
                    json.dumps({"type": "connection_init", "payload": {"authorization": token}})
                )
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                load.connected_at.append(time.monotonic())
                subscribe = {"id": "1", "type": "subscribe", "payload": {"query": WATCH}}
                await ws.send(json.dumps(subscribe))
                while time.monotonic() < load.stop_at:
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=1))
                    except TimeoutError:
                        continue
                    if message["type"] == "next":
                        change = message["payload"]["data"]["catalogChanges"]
                        load.events.append((time.monotonic(), change["entityId"]))
                    elif message["type"] in ("error", "complete"):
                        load.fail("subscription ended", json.dumps(message))
                        break
        except (ConnectionClosed, InvalidStatus, OSError):
            pass
        if time.monotonic() < load.stop_at:
            load.reconnects += 1
            await asyncio.sleep(0.2)


async def _verify(url: str, token: str, load: Load) -> None:
    """Every acknowledged write, read back through the balancer after the run."""
    headers = {"Authorization": f"Bearer {token}"}
    ids = sorted(set(load.acknowledged))
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        for start in range(0, len(ids), VERIFY_BATCH):
            batch = ids[start : start + VERIFY_BATCH]
            fields = " ".join(f't{i}: table(id: "{id_}") {{ id }}' for i, id_ in enumerate(batch))
            data = (await http.post("/graphql", json={"query": f"{{ {fields} }}"})).json()["data"]
            load.missing += [id_ for i, id_ in enumerate(batch) if data[f"t{i}"] is None]


async def run_load(
    url: str, token: str, *, clients: int, seconds: float, restart: Callable[[], None]
) -> Load:
    """`clients` writers and readers and one subscriber through `url` for `seconds`; halfway,
    `restart` (blocking: run in a thread) restarts one replica. When the restart takes longer
    than the second half, the load goes on until a quarter of `seconds` after it."""
    load = Load()
    began = time.monotonic()
    load.stop_at = began + seconds

    async def restart_halfway() -> None:
        await asyncio.sleep(seconds / 2)
        load.restart_began = time.monotonic()
        load.stop_at = float("inf")  # the restart is bounded by its own timeouts
        await asyncio.to_thread(restart)
        load.restart_ended = time.monotonic()
        load.stop_at = max(began + seconds, load.restart_ended + seconds / 4)

    await asyncio.gather(
        _subscriber(url, token, load),
        restart_halfway(),
        *(_client(i, url, token, load) for i in range(clients)),
    )
    load.seconds = time.monotonic() - began
    await _verify(url, token, load)
    return load


def restart(replica: Any, env: dict[str, str]) -> None:
    """SIGTERM (drain, stop), then the same replica started again until it is ready."""
    from tests.replicas import start_replica, wait_ready

    replica.signal(signal.SIGTERM)
    replica.wait_exit(timeout=120)
    again = start_replica(replica.name, replica.port, env)
    replica.proc = again.proc
    wait_ready(replica, shared_events=True)


def main(argv: list[str] | None = None) -> int:
    import os
    from dataclasses import replace

    from benchmarks.servers import start_neo4j, stop_neo4j
    from graph_api import neo4j_local
    from graph_api.secrets import generate_key
    from graph_api.settings import Settings
    from tests.servers.redis import start_redis, stop_redis

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--neo4j-port", type=int, default=8297)
    parser.add_argument("--redis-port", type=int, default=8296)
    parser.add_argument("--lb-port", type=int, default=8400)
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".clew" / "bench" / "replicas")
    parser.add_argument("--out", type=Path, help="where results.json goes (default: data dir)")
    parser.add_argument("--keep", action="store_true", help="leave Neo4j and Redis running")
    args = parser.parse_args(argv)

    neo4j_dir = args.data_dir / "neo4j"
    bolt = start_neo4j(port=args.neo4j_port, data_dir=neo4j_dir, heap="1g", pagecache="256m")
    shared = start_redis(args.data_dir, port=args.redis_port)
    user, password = neo4j_local.auth(data_dir=neo4j_dir)
    settings = replace(
        Settings.from_env({}),
        neo4j_uri=bolt,
        neo4j_user=user,
        neo4j_password=password,
        secret_keys=(generate_key(),),
    )
    extra = {"CLEW_REDIS_URL": shared.url, "CLEW_SHUTDOWN_DELAY_SECONDS": "5"}
    # The replicas listen on the two ports after the balancer's (read when tests.replicas loads).
    os.environ["CLEW_TEST_REPLICA_PORT"] = str(args.lb_port + 1)
    from tests.replicas import ADMIN, replica_env, replicas

    try:
        with replicas(settings, count=2, **extra) as (a, b):
            env = replica_env(settings, CLEW_REPLICAS="2", **extra)
            servers = [(r.name, r.port) for r in (a, b)]
            with balancer(port=args.lb_port, servers=servers) as url:
                token = a.sign_in(ADMIN)["Authorization"].removeprefix("Bearer ")
                load = asyncio.run(
                    run_load(
                        url,
                        token,
                        clients=args.clients,
                        seconds=args.seconds,
                        restart=lambda: restart(a, env),
                    )
                )
    finally:
        if not args.keep:
            stop_redis(args.data_dir)
            stop_neo4j(neo4j_dir)
    summary = {"clients": args.clients, **load.summary()}
    out = args.out or args.data_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    clean = not load.failures and not load.missing and summary["events_after_restart"] > 0
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
