"""Denial-of-service and malformed-request attacks on a real Clew (uvicorn on 127.0.0.1),
replayed from the hardening review (issue 10, items 1, 2, 11 and 19). Each is refused with
its status and code before the body is read or the document parsed, and a signed-in client
is served meanwhile. (How long things take is measured by benchmarks/dos_latency.py, not
asserted here.)"""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

from tests.live import LiveClew, httpx, live_clew_fixture  # noqa: F401

ME = {"query": "{ me { username } }"}


def headers_only(
    live: LiveClew, headers: dict[str, str], *, length: int
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Sends a POST's headers, declaring a body of `length` bytes, and none of the body:
    an answer proves the server decided without reading it."""
    connection = http.client.HTTPConnection(live.host, live.port, timeout=30)
    try:
        connection.putrequest("POST", "/graphql")
        for name, value in {**headers, "Content-Length": str(length)}.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = json.loads(response.read())
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def code_of(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]


def repeated_selections(count: int = 1900) -> str:
    # The reviewer's attack: a 70 KB document of one field repeated, which took 2.7 s to
    # validate on the event loop.
    return "{ tables { nodes { " + " ".join(["description"] * count) + " } } }"


def test_oversized_bodies_are_refused_before_they_are_read(live_clew: LiveClew) -> None:
    admin = live_clew.sign_in()
    json_headers = {**admin, "Content-Type": "application/json"}
    status, headers, body = headers_only(live_clew, json_headers, length=20 * 1024**2)
    assert status == 413
    assert code_of(body) == "PAYLOAD_TOO_LARGE"
    assert "larger than 1 MiB" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["requestId"] == headers["x-request-id"]
    # Under the body cap, over the query-text cap: refused before parsing.
    long_query = {"query": "{ __typename }" + " " * 200_000}
    refused = httpx.post(live_clew.graphql, json=long_query, headers=admin).json()
    assert code_of(refused) == "QUERY_TOO_LARGE"
    assert "at most 100,000 are allowed" in refused["errors"][0]["message"]
    # Uploads keep their large cap, for those who may import.
    multipart = {**admin, "Content-Type": "multipart/form-data; boundary=x"}
    status, _, body = headers_only(live_clew, multipart, length=2 * 1024**3)
    assert status == 413 and "split the file" in body["errors"][0]["message"]


def test_anonymous_callers_are_refused_before_parsing(live_clew: LiveClew) -> None:
    attack = json.dumps({"query": repeated_selections()})
    assert len(attack) > 20_000
    # Declared too large for an anonymous caller: refused before the body is read.
    status, headers, body = headers_only(
        live_clew, {"Content-Type": "application/json"}, length=len(attack)
    )
    assert status == 401
    assert headers["www-authenticate"] == "Bearer"
    assert code_of(body) == "UNAUTHENTICATED"
    assert "login" in body["errors"][0]["message"]
    # Sent in full, chunked (no length): refused once the body passes the anonymous cap.
    chunks = (attack[i : i + 4096].encode() for i in range(0, len(attack), 4096))
    sent = httpx.post(
        live_clew.graphql, content=chunks, headers={"Content-Type": "application/json"}
    )
    assert sent.status_code == 401 and code_of(sent.json()) == "UNAUTHENTICATED"
    # A small anonymous document that is not login or introspection is refused unvalidated.
    small = httpx.post(live_clew.graphql, json={"query": "{ tables { nodes { name name } } }"})
    assert code_of(small.json()) == "UNAUTHENTICATED"
    # What stays public: login, and introspection (GraphiQL loads the schema before sign-in).
    schema = httpx.post(live_clew.graphql, json={"query": "{ __schema { queryType { name } } }"})
    assert schema.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def test_repeated_selections_are_refused_before_validation(live_clew: LiveClew) -> None:
    admin = live_clew.sign_in()
    refused = httpx.post(
        live_clew.graphql,
        json={"query": repeated_selections()},
        headers={**admin, "Accept": "application/graphql-response+json"},
    )
    assert refused.status_code == 400
    assert code_of(refused.json()) == "TOO_MANY_FIELDS"


def test_a_signed_in_client_is_served_while_the_attacks_run(live_clew: LiveClew) -> None:
    admin = live_clew.sign_in()
    attack = json.dumps({"query": repeated_selections()})
    stop = threading.Event()
    refusals: list[int] = []

    def attacker() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                anonymous = client.post(
                    live_clew.graphql,
                    content=attack,
                    headers={"Content-Type": "application/json"},
                )
                signed_in = client.post(
                    live_clew.graphql,
                    content=attack,
                    headers={**admin, "Content-Type": "application/json"},
                )
                refusals.extend([anonymous.status_code, signed_in.status_code])

    threads = [threading.Thread(target=attacker) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        with httpx.Client(timeout=30, headers=admin) as client:
            for _ in range(20):
                answer = client.post(live_clew.graphql, json=ME).json()
                assert answer == {"data": {"me": {"username": "admin"}}}
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert refusals and set(refusals) <= {401, 200}


def test_malformed_bodies_get_a_400_with_a_code_and_the_request_id(live_clew: LiveClew) -> None:
    admin = live_clew.sign_in()

    def check(response: httpx.Response, words: str) -> None:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert words in error["message"]

    json_headers = {**admin, "Content-Type": "application/json"}
    invalid_utf8 = b'{"query": "{ me { username } }", "x": "\xff\xfe"}'
    check(httpx.post(live_clew.graphql, content=invalid_utf8, headers=json_headers), "UTF-8")
    check(httpx.post(live_clew.graphql, content=b'"{ me }"', headers=json_headers), "JSON object")
    check(httpx.post(live_clew.graphql, content=b"{not json", headers=json_headers), "JSON")

    upload = (
        "mutation ($f: Upload!, $g: Upload) { importCatalog(input: {file: $f}) { __typename } }"
    )
    operations = json.dumps({"query": upload, "variables": {"f": None, "g": None}})
    files = {
        "0": ("a.csv", b"schema,name\ns,a\n", "text/csv"),
        "1": ("b.csv", b"schema,name\ns,b\n", "text/csv"),
    }
    as_list = httpx.post(
        live_clew.graphql,
        headers=admin,
        data={"operations": operations, "map": json.dumps([["variables.f"]])},
        files=files,
    )
    check(as_list, "'map' must be a JSON object")
    twice = httpx.post(
        live_clew.graphql,
        headers=admin,
        data={
            "operations": operations,
            "map": json.dumps({"0": ["variables.f"], "1": ["variables.f"]}),
        },
        files=files,
    )
    check(twice, "both mapped to 'variables.f'")
    missing = httpx.post(
        live_clew.graphql,
        headers=admin,
        data={"operations": operations, "map": json.dumps({"7": ["variables.f"]})},
        files=files,
    )
    check(missing, "no file under that form field")
    nowhere = httpx.post(
        live_clew.graphql,
        headers=admin,
        data={"operations": operations, "map": json.dumps({"0": ["variables.nope.deeper"]})},
        files=files,
    )
    check(nowhere, "names no variable")


def test_uploads_from_roles_that_may_not_import_are_refused_before_the_body(
    live_clew: LiveClew,
) -> None:
    admin = live_clew.sign_in()
    viewer = live_clew.create_user(admin, "uploading-viewer", "VIEWER")
    multipart = {**viewer, "Content-Type": "multipart/form-data; boundary=x"}
    status, headers, body = headers_only(live_clew, multipart, length=1024**3)
    assert status == 403
    assert code_of(body) == "FORBIDDEN"
    assert "EDITOR" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["requestId"] == headers["x-request-id"]
    editor = live_clew.create_user(admin, "uploading-editor", "EDITOR")
    operations = json.dumps(
        {
            "query": "mutation ($f: Upload!) { importCatalog(input: {file: $f, dryRun: true, "
            "wait: true}) { __typename } }",
            "variables": {"f": None},
        }
    )
    allowed = httpx.post(
        live_clew.graphql,
        headers=editor,
        data={"operations": operations, "map": json.dumps({"0": ["variables.f"]})},
        files={"0": ("tables.csv", b"schema,name\ns,t\n", "text/csv")},
    )
    assert allowed.json()["data"]["importCatalog"]["__typename"] == "ImportCatalogSuccess"
