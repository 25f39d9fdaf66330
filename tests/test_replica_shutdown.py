"""SIGTERM to a replica in the middle of an import: it drains (503 on /readyz, no new imports),
lets the import finish within CLEW_SHUTDOWN_GRACE_SECONDS, and only then stops."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import httpx2 as httpx
import pytest

from graph_api.services.jobs import STALE_AFTER_SECONDS
from graph_api.settings import Settings
from tests.replicas import Replica, replicas

TABLES = 2500
FIELDS_PER_TABLE = 8
UPLOAD = (
    "mutation ($file: Upload!) { importCatalog(input: {file: $file}) {"
    " __typename ... on ImportCatalogSuccess { job { id status } }"
    " ... on UserError { code message } } }"
)
JOB = "query ($id: ID!) { importJob(id: $id) { status phase rowsWritten failure } }"
COUNT = "{ tables(first: 1) { totalCount } }"


def catalog_file() -> bytes:
    tables = [
        {"schema": "sales", "name": f"t{t:05d}", "kind": "TABLE", "description": f"Table {t}"}
        for t in range(TABLES)
    ]
    fields = [
        {
            "schema": "sales",
            "table": f"t{t:05d}",
            "name": f"c{f:02d}",
            "data_type": "text",
            "nullable": "TRUE",
            "ordinal_position": f + 1,
        }
        for t in range(TABLES)
        for f in range(FIELDS_PER_TABLE)
    ]
    return json.dumps(
        {"format": "clew-interchange", "version": 1, "tables": tables, "fields": fields}
    ).encode()


def upload(replica: Replica, headers: dict[str, str], content: bytes) -> dict[str, Any]:
    operations = {"query": UPLOAD, "variables": {"file": None}}
    response = httpx.post(
        replica.graphql,
        headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("catalog.json", content, "application/json")},
        timeout=120,
    )
    body: dict[str, Any] = response.json()
    return body


def job(replica: Replica, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    return replica.post(JOB, {"id": job_id}, headers=headers)["data"]["importJob"]


def test_sigterm_mid_import_drains_then_lets_the_import_finish(settings: Settings) -> None:
    content = catalog_file()
    with replicas(settings, CLEW_SHUTDOWN_GRACE_SECONDS="600") as (a, b):
        admin_a, admin_b = a.sign_in(), b.sign_in()
        started = upload(a, admin_a, content)["data"]["importCatalog"]
        assert started["__typename"] == "ImportCatalogSuccess", started
        job_id = started["job"]["id"]
        deadline = time.monotonic() + 120
        while job(b, admin_b, job_id)["status"] != "RUNNING":
            assert time.monotonic() < deadline, job(b, admin_b, job_id)
            time.sleep(0.05)

        a.signal(signal.SIGTERM)
        while (ready := a.ready()).status_code == 200:
            time.sleep(0.02)
        # Draining: the load balancer takes A out, and A starts no new import ...
        assert ready.status_code == 503 and ready.json() == {"status": "stopping"}
        (refused,) = upload(a, admin_a, content)["errors"]
        assert refused["extensions"]["code"] == "RATE_LIMITED", refused
        assert "shutting down" in refused["message"]
        # ... while the running one goes on (else the file is too small to test this).
        assert job(b, admin_b, job_id)["status"] == "RUNNING"

        a.wait_exit(timeout=600)
        finished = job(b, admin_b, job_id)
        assert finished["status"] == "SUCCEEDED", (finished, a.log())
        assert finished["rowsWritten"] == TABLES * (1 + FIELDS_PER_TABLE)
        assert b.post(COUNT, headers=admin_b)["data"]["tables"]["totalCount"] == TABLES
        assert "SIGTERM: draining" in a.log()


@pytest.mark.slow  # waits for the job's heartbeat to go stale (STALE_AFTER_SECONDS)
def test_kill_9_mid_import_leaves_the_catalog_unchanged_and_the_job_interrupted(
    settings: Settings,
) -> None:
    content = catalog_file()
    with replicas(settings) as (a, b):
        admin_a, admin_b = a.sign_in(), b.sign_in()
        job_id = upload(a, admin_a, content)["data"]["importCatalog"]["job"]["id"]
        deadline = time.monotonic() + 120
        while job(b, admin_b, job_id)["status"] != "RUNNING":
            assert time.monotonic() < deadline, job(b, admin_b, job_id)
            time.sleep(0.05)
        a.signal(signal.SIGKILL)
        a.wait_exit(timeout=30)
        assert b.post(COUNT, headers=admin_b)["data"]["tables"]["totalCount"] == 0
        # B cannot know at once that A died: the job stays RUNNING until its heartbeat,
        # written while A ran it, is older than STALE_AFTER_SECONDS.
        deadline = time.monotonic() + STALE_AFTER_SECONDS + 120
        while (seen := job(b, admin_b, job_id))["status"] == "RUNNING":
            assert time.monotonic() < deadline, seen
            time.sleep(2)
        assert seen["status"] == "INTERRUPTED", seen
        assert "nothing was written" in seen["failure"]
        assert seen["rowsWritten"] == 0
        assert b.post(COUNT, headers=admin_b)["data"]["tables"]["totalCount"] == 0
