"""The local Neo4j launcher against a real JVM (one start, a few seconds) and the
clear errors it gives before launching anything."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ConstraintError

from graph_api import neo4j_local
from graph_api.neo4j_local import LocalNeo4jError

# Restarts Neo4j or fuzzes: left out of `make test-fast`.
pytestmark = pytest.mark.slow

# Used by the development and test databases of other sessions on this machine.
RESERVED_PORTS = {7687, 7688}

needs_jdk_and_maven = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("mvn") is None,
    reason="needs java and mvn on PATH",
)


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


@needs_jdk_and_maven
def test_start_query_and_stop(tmp_path: Path) -> None:
    data_dir = tmp_path / "neo4j"
    port = free_port()
    assert not neo4j_local.status(data_dir=data_dir).running

    started = neo4j_local.start(data_dir=data_dir, port=port)
    try:
        assert started.running and started.pid is not None
        assert started.bolt_uri == f"bolt://127.0.0.1:{port}"
        assert neo4j_local.status(data_dir=data_dir) == started
        if Path("/proc").is_dir():
            assert rss_bytes(started.pid) < 1024**3, "defaults should keep the JVM under 1 GiB"

        # Authentication is on: no password, or a wrong one, is refused (any process on the
        # machine could otherwise connect and make itself ADMIN).
        for anonymous in (None, (neo4j_local.USER, "neo4j"), (neo4j_local.USER, "guess")):
            with GraphDatabase.driver(started.bolt_uri, auth=anonymous) as driver:
                with pytest.raises(AuthError):
                    driver.verify_connectivity()
        password_file = data_dir / "neo4j.password"
        assert password_file.stat().st_mode & 0o777 == 0o600
        assert password_file.read_text().strip() == neo4j_local.password(data_dir=data_dir)
        assert neo4j_local.password(data_dir=data_dir) not in " ".join(
            Path(f"/proc/{started.pid}/cmdline").read_text().split("\0")
        )

        with GraphDatabase.driver(
            started.bolt_uri, auth=neo4j_local.auth(data_dir=data_dir)
        ) as driver:
            # Both are Community features the catalog relies on.
            driver.execute_query(
                "CREATE CONSTRAINT table_id IF NOT EXISTS FOR (t:Table) REQUIRE t.id IS UNIQUE"
            )
            driver.execute_query(
                "CREATE FULLTEXT INDEX table_text IF NOT EXISTS FOR (t:Table) ON EACH [t.name]"
            )
            driver.execute_query("CALL db.awaitIndexes(60)")
            driver.execute_query("CREATE (:Table {id: 't1', name: 'customer orders'})")
            with pytest.raises(ConstraintError):
                driver.execute_query("CREATE (:Table {id: 't1', name: 'duplicate'})")
            records, _, _ = driver.execute_query(
                "CALL db.index.fulltext.queryNodes('table_text', 'customer') "
                "YIELD node RETURN node.id AS id"
            )
            assert [r["id"] for r in records] == ["t1"]

        again = neo4j_local.start(data_dir=data_dir, port=port)
        assert again.pid == started.pid
    finally:
        stopped = neo4j_local.stop(data_dir=data_dir)

    assert stopped
    after = neo4j_local.status(data_dir=data_dir)
    assert not after.running and after.pid is None
    assert not process_exists(started.pid)
    assert port_is_free(port)
    assert neo4j_local.stop(data_dir=data_dir) is False


def test_missing_java_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.environ.get("PATH", "").split(os.pathsep)
    monkeypatch.setenv("PATH", os.pathsep.join(d for d in path if not (Path(d) / "java").exists()))
    assert shutil.which("java") is None

    data_dir = tmp_path / "neo4j"
    with pytest.raises(LocalNeo4jError, match=r"`java` was not found on PATH.*apt-get install"):
        neo4j_local.start(data_dir=data_dir, port=free_port())
    assert not neo4j_local.status(data_dir=data_dir).running
    assert not (data_dir / "neo4j.pid").exists()


@needs_jdk_and_maven
def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(LocalNeo4jError, match=rf"Port {port} .* already in use"):
            neo4j_local.start(data_dir=tmp_path / "neo4j", port=port)
