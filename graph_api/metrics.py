"""Prometheus metrics: what /metrics serves, in Prometheus's text format.

Every label takes a value from a bounded set that carries no user data: statement names from
the Cypher registry, GraphQL operation names that look like identifiers (the first
MAX_OPERATION_NAMES seen; any other is "other"), error codes, connection-test reasons, job
states. Counters are per process: Prometheus sums the replicas.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

REGISTRY = CollectorRegistry(auto_describe=True)
# The text format every Prometheus version scrapes (our names need none of 1.0.0's escaping).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

MAX_OPERATION_NAMES = 200
_SAFE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
OTHER = "other"
ANONYMOUS = "anonymous"
# Error codes a GraphQL error may carry (graph_api/errors.py, graph_api/schema/errors.py and
# limits.py); any other code is counted as "error".
_OUTCOMES = frozenset(
    {
        "VALIDATION",
        "NOT_FOUND",
        "PERMISSION_DENIED",
        "CONFLICT",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "RATE_LIMITED",
        "STORAGE_UNAVAILABLE",
        "CHANGE_UNCONFIRMED",
        "INTERNAL",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_REQUEST",
    }
)
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

graphql_requests = Counter(
    "clew_graphql_requests",
    "GraphQL operations, by operation type, name and outcome (ok or the first error's code).",
    ["type", "operation", "outcome"],
    registry=REGISTRY,
)
graphql_latency = Histogram(
    "clew_graphql_request_duration_seconds",
    "How long GraphQL operations took (for a subscription: until it started streaming).",
    ["type", "operation"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
cypher_statements = Counter(
    "clew_cypher_statements",
    "Cypher statements run, by registry name and outcome (ok or error).",
    ["statement", "outcome"],
    registry=REGISTRY,
)
cypher_latency = Histogram(
    "clew_cypher_statement_duration_seconds",
    "How long Cypher statements took, by registry name.",
    ["statement"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
connection_tests = Counter(
    "clew_connection_tests",
    "Connection tests and introspections, by operation and result (OK or the failure reason).",
    ["operation", "result"],
    registry=REGISTRY,
)
import_jobs = Gauge(
    "clew_import_jobs",
    "Import jobs recorded in the catalog, by state (read from Neo4j when scraped).",
    ["state"],
    registry=REGISTRY,
)
scan_jobs = Gauge(
    "clew_scan_jobs",
    "Scan jobs recorded in the catalog, by state (read from Neo4j when scraped).",
    ["state"],
    registry=REGISTRY,
)
active_subscriptions = Gauge(
    "clew_active_subscriptions",
    "GraphQL subscriptions open on this replica.",
    registry=REGISTRY,
)
neo4j_pool = Gauge(
    "clew_neo4j_pool_connections",
    "Connections in the Neo4j driver's pool of this replica, in use or idle.",
    ["state"],
    registry=REGISTRY,
)

_names_lock = threading.Lock()
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """The client-chosen operation name if it is a plain identifier and one of the first
    MAX_OPERATION_NAMES seen, else "other": a label never carries free text."""
    if not name:
        return ANONYMOUS
    if not _SAFE_NAME.match(name):
        return OTHER
    with _names_lock:
        if name in _operation_names:
            return name
        if len(_operation_names) >= MAX_OPERATION_NAMES:
            return OTHER
        _operation_names.add(name)
        return name


def outcome_label(code: object) -> str:
    return code if isinstance(code, str) and code in _OUTCOMES else "error"


@contextmanager
def statement_timer(name: str) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        cypher_statements.labels(name, outcome).inc()
        cypher_latency.labels(name).observe(time.perf_counter() - started)


def connection_tested(operation: str, reason: str | None) -> None:
    connection_tests.labels(operation, reason or "OK").inc()


def observe_pool(driver: Any) -> None:
    """The driver's pool use, read from its pool's connection lists (the driver has no public
    API for it); left unset when a driver version keeps them elsewhere."""
    connections = getattr(getattr(driver, "_pool", None), "connections", None)
    if not isinstance(connections, dict):
        return
    in_use = idle = 0
    for queue in list(connections.values()):
        for connection in list(queue):
            if getattr(connection, "in_use", False):
                in_use += 1
            else:
                idle += 1
    neo4j_pool.labels("in_use").set(in_use)
    neo4j_pool.labels("idle").set(idle)


JOB_STATES = ("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "INTERRUPTED")


def observe_jobs(imports: dict[str, int], scans: dict[str, int]) -> None:
    for state in JOB_STATES:
        import_jobs.labels(state).set(imports.get(state, 0))
        scan_jobs.labels(state).set(scans.get(state, 0))


def generate() -> bytes:
    return _generate(REGISTRY)
