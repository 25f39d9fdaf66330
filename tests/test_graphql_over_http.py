"""The GraphQL-over-HTTP spec, as the front end and current clients speak it: the spec's
reference audit (graphql-http's serverAudits) against a real Clew on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.live import LiveClew, httpx, live_clew_fixture  # noqa: F401

AUDIT = Path(__file__).parent / "http_audit" / "audit.mjs"
WEB = Path(__file__).parent.parent / "web" / "node_modules" / "graphql-http"
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.mark.skipif(
    shutil.which("node") is None or not WEB.exists(), reason="needs npm ci --prefix web"
)
def test_the_spec_audit_passes_every_must_and_should(live_clew: LiveClew) -> None:
    run = subprocess.run(
        ["node", str(AUDIT), live_clew.graphql],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert len(results) > 50
    failing = [r for r in results if r["status"] != "ok"]
    assert failing == []


def test_request_errors_are_4xx_without_data_when_asked_for_graphql_response_json(
    live_clew: LiveClew,
) -> None:
    admin = live_clew.sign_in()
    wanted = {**admin, "Accept": GRAPHQL_RESPONSE}
    cases = {
        "does not parse": ({"query": "{ tables { "}, "GRAPHQL_PARSE_FAILED"),
        "does not validate": ({"query": "{ tables { nodez } }"}, "GRAPHQL_VALIDATION_FAILED"),
        "variables do not coerce": (
            {
                "query": "query ($n: Int) { tables(first: $n) { totalCount } }",
                "variables": {"n": "x"},
            },
            "BAD_USER_INPUT",
        ),
    }
    for name, (body, code) in cases.items():
        response = httpx.post(live_clew.graphql, json=body, headers=wanted)
        assert response.status_code == 400, name
        assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE), name
        answer = response.json()
        assert "data" not in answer, name
        assert answer["errors"][0]["extensions"]["code"] == code, name
        # application/json (the default) keeps 200 and data: null, as the spec says.
        legacy = httpx.post(live_clew.graphql, json=body, headers=admin)
        assert legacy.status_code == 200, name
        assert legacy.headers["content-type"].startswith("application/json"), name
        assert legacy.json()["data"] is None, name
    # A field error during execution is not a request error: 200 with the data there is.
    ok = httpx.post(
        live_clew.graphql, json={"query": '{ table(id: "missing") { name } }'}, headers=wanted
    )
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert ok.json() == {"data": {"table": None}}
    # Without a token: 401, and it says how to sign in.
    anonymous = httpx.post(
        live_clew.graphql,
        json={"query": "{ tables { totalCount } }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
