"""What a user relies on in docker-compose.yml, the Dockerfile and .dockerignore.

No Docker engine is needed: the files are parsed, not run, and docker-compose.yml is
validated against the compose-spec JSON schema (compose-go's copy, pinned in
tests/servers/compose-spec/go.mod; $COMPOSE_SPEC_SCHEMA names another).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONNECTORS = {"mongodb", "elasticsearch", "oracle", "postgres", "mysql"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _healthcheck_test(service: dict[str, Any]) -> list[str]:
    test = service.get("healthcheck", {}).get("test")
    assert test, "no healthcheck"
    return [test] if isinstance(test, str) else test


# Short syntax: [host_ip:][published:]target[/protocol]; a variable may hold colons.
_PORT = re.compile(
    r"(?:(?P<host_ip>\d+\.\d+\.\d+\.\d+|\[[^\]]*\]):)?"
    r"(?:(?P<published>\$\{[^}]*\}|[^:]+):)?"
    r"(?P<target>[^:]+)"
)


def _published_ports(service: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    """(host_ip, published port) for every port; None where omitted."""
    result: list[tuple[str | None, str | None]] = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            result.append((port.get("host_ip"), port.get("published")))
        else:
            match = _PORT.fullmatch(str(port))
            assert match, f"cannot parse port {port!r}"
            result.append((match["host_ip"], match["published"]))
    return result


def test_neo4j_is_5_26_community_with_data_volume_and_healthcheck(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    neo4j = services["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert "profiles" not in neo4j  # starts with a plain `docker compose up`
    volume, _, target = next(v for v in neo4j["volumes"] if v.endswith(":/data")).partition(":")
    assert target == "/data"
    assert volume in compose["volumes"], "/data must be a named volume"
    command = " ".join(_healthcheck_test(neo4j))
    assert "cypher-shell" in command or "7474" in command
    env = neo4j["environment"]
    assert env["NEO4J_AUTH"].startswith("neo4j/")
    assert {
        "NEO4J_server_memory_heap_max__size",
        "NEO4J_server_memory_pagecache_size",
    } <= env.keys()


def test_healthcheck_shell_variables_are_escaped_from_compose(
    services: dict[str, dict[str, Any]],
) -> None:
    # A single $ would be interpolated by compose on the host, not by the container's shell.
    command = " ".join(_healthcheck_test(services["neo4j"]))
    assert "$${NEO4J_AUTH" in command


def test_api_builds_from_the_dockerfile_and_waits_for_neo4j(
    services: dict[str, dict[str, Any]],
) -> None:
    api = services["api"]
    build = api["build"]
    assert (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["NEO4J_URI"] == "bolt://neo4j:7687"
    assert env["NEO4J_DATABASE"] == "neo4j"
    assert {"NEO4J_USER", "NEO4J_PASSWORD"} <= env.keys()
    # Required from the environment, never a default baked into the file.
    assert re.fullmatch(r"\$\{CLEW_SECRET_KEYS:\?[^}]*\}", env["CLEW_SECRET_KEYS"])
    assert [port for _, port in _published_ports(api)] == ["${CLEW_API_PORT:-8000}"]


def test_connector_databases_are_behind_a_profile_with_healthchecks(
    services: dict[str, dict[str, Any]],
) -> None:
    assert CONNECTORS <= services.keys()
    for name in CONNECTORS:
        assert services[name]["profiles"] == ["connectors"], name
        assert _healthcheck_test(services[name]), name
    images = {name: services[name]["image"] for name in CONNECTORS}
    assert images["mongodb"] == "mongo:7"
    assert images["elasticsearch"].startswith("docker.elastic.co/elasticsearch/elasticsearch:8.15.")
    assert images["oracle"] == "gvenzl/oracle-free:23-slim-faststart"
    assert images["postgres"] == "postgres:16"
    assert images["mysql"] == "mariadb:11"
    es = services["elasticsearch"]["environment"]
    assert es["discovery.type"] == "single-node"
    assert es["xpack.security.enabled"] == "false"
    assert {"ORACLE_PASSWORD", "APP_USER", "APP_USER_PASSWORD"} <= services["oracle"][
        "environment"
    ].keys()


def test_only_the_api_and_the_balancer_are_published_beyond_loopback(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        if name in ("api", "lb"):
            continue
        for host_ip, port in _published_ports(service):
            assert host_ip == "127.0.0.1", f"{name} publishes {port} on every interface"


def _json_schema_path() -> Path:
    """The compose-spec schema of the compose-go version pinned in
    tests/servers/compose-spec/go.mod (install_nosql.sh downloads it into Go's module cache)."""
    if configured := os.environ.get("COMPOSE_SPEC_SCHEMA"):
        return Path(configured)
    pinned = Path(__file__).parent / "servers" / "compose-spec" / "go.mod"
    version = re.search(r"compose-go/v2 (v\S+)", pinned.read_text())
    assert version, f"{pinned} names no compose-go version"
    mod_cache = subprocess.run(
        ["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return (
        Path(mod_cache)
        / f"github.com/compose-spec/compose-go/v2@{version[1]}/schema/compose-spec.json"
    )


def test_compose_file_matches_the_compose_spec_schema(compose: dict[str, Any]) -> None:
    import jsonschema

    schema_path = _json_schema_path()
    assert schema_path.is_file(), f"{schema_path} is missing: run tests/servers/install_nosql.sh"
    schema = json.loads(schema_path.read_text())
    # The schema names draft 7 as ".../draft-07/schema" (no "#"), which jsonschema does not
    # recognise by itself.
    jsonschema.Draft7Validator(schema).validate(compose)


# --- Dockerfile and .dockerignore -------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", "")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (keyword.upper(), rest)
        for keyword, _, rest in (
            line.partition(" ") for line in lines if line and not line.startswith("#")
        )
    ]


def test_dockerfile_runs_uvicorn_as_a_non_root_user_with_a_healthcheck() -> None:
    instructions = _dockerfile_instructions()
    final_stage = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    assert final_stage[0][1] == "python:3.11-slim"
    values = {keyword: rest for keyword, rest in final_stage}  # last one wins, as in Docker
    assert json.loads(values["CMD"]) == [
        "uvicorn",
        "graph_api.app:create_app",
        "--factory",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
        # X-Forwarded-For is the app's to believe, only from CLEW_TRUSTED_PROXIES.
        "--no-proxy-headers",
    ]
    assert values["USER"].split(":")[0] not in ("root", "0")
    assert "http://127.0.0.1:8000/healthz" in values["HEALTHCHECK"]
    env = " ".join(rest for keyword, rest in final_stage if keyword == "ENV")
    assert "CLEW_CYPHER_DIR=/app/cypher" in env
    assert "CLEW_GRAPHIQL_ASSETS=/app/web/node_modules" in env
    assert "CLEW_WEB_DIST=/app/web/app" in env


def test_dockerignore_lets_through_everything_the_dockerfile_copies() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    for keyword, rest in _dockerfile_instructions():
        args = shlex.split(rest)
        if keyword != "COPY" or any(arg.startswith("--from") for arg in args):
            continue
        for source in args[:-1]:
            assert source.rstrip("/") in allowed or source.rstrip("*") in allowed, source


REPLICAS = ("api-a", "api-b")


def test_the_replicas_profile_runs_two_replicas_redis_and_a_balancer(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in (*REPLICAS, "redis", "lb"):
        assert services[name]["profiles"] == ["replicas"], name
    a, b = (services[name] for name in REPLICAS)
    assert a == b, "the replicas must be configured alike"
    env = a["environment"]
    # A cluster URI (routes writes to the leader), never bolt://.
    assert env["NEO4J_URI"].startswith("neo4j://")
    assert env["NEO4J_URI"].removeprefix("neo4j://").split(":")[0] in services
    assert env["CLEW_REPLICAS"] == str(len(REPLICAS))
    assert re.fullmatch(r"\$\{CLEW_SECRET_KEYS:\?[^}]*\}", env["CLEW_SECRET_KEYS"])
    assert "CLEW_TOKEN_SIGNING_KEY" in env
    assert re.fullmatch(r"redis://redis:6379/\d+", env["CLEW_REDIS_URL"])
    assert a["depends_on"]["redis"]["condition"] == "service_healthy"
    assert a["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert a["build"] == services["api"]["build"] and a["image"] == services["api"]["image"]
    # Reached only through the balancer.
    assert not a.get("ports")
    # Docker's SIGKILL comes after stop_grace_period: the drain must fit in it.
    grace = int(env["CLEW_SHUTDOWN_GRACE_SECONDS"])
    assert grace < int(a["stop_grace_period"].removesuffix("s"))
    # The balancer is the one proxy whose X-Forwarded-For the replicas believe.
    lb_address = services["lb"]["networks"]["replicas"]["ipv4_address"]
    assert env["CLEW_TRUSTED_PROXIES"] == lb_address
    assert _healthcheck_test(services["redis"])
    assert services["redis"]["image"].startswith("redis:7.0")


def test_the_balancer_checks_readiness_and_passes_websocket_upgrades(
    services: dict[str, dict[str, Any]],
) -> None:
    lb = services["lb"]
    (mount,) = lb["volumes"]
    source, target, *_ = mount.split(":")
    config = (ROOT / source).read_text()
    assert target == "/usr/local/etc/haproxy/haproxy.cfg"
    assert lb["image"].startswith("haproxy:")
    directives = [line.split("#")[0].strip() for line in config.splitlines()]
    servers = [d.split()[2] for d in directives if d.startswith("server ")]
    assert servers == [f"{name}:8000" for name in REPLICAS]
    # A draining replica (503 on /readyz) gets no new requests.
    assert "option httpchk GET /readyz" in directives
    assert "http-check expect status 200" in directives
    # WebSocket subscriptions: HTTP mode passes the Upgrade; the tunnel timeout keeps it open.
    assert "mode http" in directives
    assert any(d.startswith("timeout tunnel ") for d in directives)
    assert "option forwardfor" in directives
    assert [port for _, port in _published_ports(lb)] == ["${CLEW_LB_PORT:-8080}"]
    assert "bind :8080" in directives
