"""Import and export over HTTP, as a browser or a script uses them: a multipart upload to
GraphQL, the job followed live, and streamed downloads."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import Message

from graph_api.app import create_app
from graph_api.auth.roles import Role
from graph_api.interchange.format import SECTIONS
from graph_api.interchange_http import BodySizeLimit
from graph_api.settings import Settings
from graph_api.store.client import Store
from tests.conftest import sign_in
from tests.interchange.conftest import DATA, read_workbook, read_zip

JOB = """
  id status fileName format dryRun mode phase rowsTotal rowsParsed rowsValidated rowsWritten
  outcome failure
  report {
    outcome errorCount warningCount problemsTruncated
    sections { section rows created updated unchanged skipped implied
               samples { action row key changes { column before after } } }
    problemCounts { code severity stage count }
    problems { severity code message row column value suggestion }
  }
"""
UPLOAD = (
    "mutation ($file: Upload!, $dry: Boolean!, $mode: ImportMode!) {"
    " importCatalog(input: {file: $file, dryRun: $dry, mode: $mode, wait: true}) {"
    " __typename ... on ImportCatalogSuccess { job {" + JOB + "} }"
    " ... on UserError { code message field } } }"
)


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        client.headers.update(sign_in(client, "dana", Role.ADMIN))
        yield client


def upload(
    client: TestClient,
    name: str,
    content: bytes,
    *,
    dry_run: bool = False,
    mode: str = "ALL_OR_NOTHING",
    query: str = UPLOAD,
) -> dict[str, Any]:
    operations = {"query": query, "variables": {"file": None, "dry": dry_run, "mode": mode}}
    response = client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, io.BytesIO(content), "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["importCatalog"]


def test_upload_previews_then_applies_a_file(client: TestClient) -> None:
    content = (DATA / "catalog.yaml").read_bytes()

    preview = upload(client, "catalog.yaml", content, dry_run=True)

    job = preview["job"]
    assert (job["status"], job["dryRun"], job["format"], job["outcome"]) == (
        "SUCCEEDED",
        True,
        "YAML",
        "PREVIEWED",
    )
    assert {s["section"]: s["created"] for s in job["report"]["sections"]} == {
        "sources": 2,
        "tables": 3,
        "fields": 5,
        "table_lineage": 1,
        "field_lineage": 2,
    }
    assert client.get("/export?format=json").json()["tables"] == []

    applied = upload(client, "catalog.yaml", content)["job"]

    assert applied["outcome"] == "APPLIED" and applied["rowsWritten"] == 13
    assert applied["phase"] == "DONE" and applied["rowsTotal"] == 14
    fetched = client.post(
        "/graphql", json={"query": f'{{ importJob(id: "{applied["id"]}") {{ {JOB} }} }}'}
    ).json()["data"]["importJob"]
    assert fetched == applied
    history = client.post(
        "/graphql",
        json={"query": '{ history(entityId: "t-notes") { nodes { actor action comment } } }'},
    ).json()["data"]["history"]["nodes"]
    assert history == [
        {
            "actor": "dana",
            "action": "CREATE",
            "comment": f"Imported from 'catalog.yaml' (job {applied['id']}).",
        }
    ]


def test_upload_reports_problems_in_plain_words(client: TestClient) -> None:
    content = b"table,name,nullable\nnowhere,id,maybe\n"

    job = upload(client, "fields.csv", content)["job"]

    report = job["report"]
    assert job["outcome"] == "NOTHING_APPLIED" and report["errorCount"] == 1
    assert report["problems"] == [
        {
            "severity": "ERROR",
            "code": "WRONG_TYPE",
            "row": 2,
            "column": "nullable",
            "value": "maybe",
            "suggestion": None,
            "message": "Row 2 of 'fields.csv': in the column 'nullable', 'maybe' is not TRUE or FALSE.",
        }
    ]
    assert report["problemCounts"] == [
        {"code": "WRONG_TYPE", "severity": "ERROR", "stage": "SCHEMA", "count": 1}
    ]


def test_a_file_of_unknown_format_is_refused_at_once(client: TestClient) -> None:
    result = upload(client, "notes.docx", b"\x00\x01binary")
    assert result["__typename"] == "ValidationError"
    assert result["field"] == "format"
    assert "notes.docx" in result["message"]


def test_progress_subscription_follows_a_job_to_its_end(client: TestClient) -> None:
    rows = "\n".join(f"s,t{i}" for i in range(3000))
    content = f"schema,name\n{rows}\n".encode()
    query = UPLOAD.replace("wait: true", "wait: false")
    job = upload(client, "tables.csv", content, query=query)["job"]
    assert job["status"] in ("QUEUED", "RUNNING", "SUCCEEDED")

    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": f'subscription {{ importJobProgress(id: "{job["id"]}") '
                    "{ status phase rowsValidated rowsWritten outcome } }"
                },
            }
        )
        updates = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = ws.receive_json()
            if message["type"] == "complete":
                break
            assert message["type"] == "next", message
            updates.append(message["payload"]["data"]["importJobProgress"])
    assert updates[-1] == {
        "status": "SUCCEEDED",
        "phase": "DONE",
        "rowsValidated": 3000,
        "rowsWritten": 3000,
        "outcome": "APPLIED",
    }
    validated = [u["rowsValidated"] for u in updates]
    assert validated == sorted(validated)


def test_export_streams_every_format_with_a_file_name(client: TestClient) -> None:
    upload(client, "catalog.yaml", (DATA / "catalog.yaml").read_bytes())

    for fmt, kind, suffix in (
        ("xlsx", "spreadsheetml", "xlsx"),
        ("csv", "zip", "zip"),
        ("json", "json", "json"),
        ("yaml", "yaml", "yaml"),
    ):
        with client.stream("GET", f"/export?format={fmt}") as response:
            assert response.status_code == 200
            assert kind in response.headers["content-type"]
            assert response.headers["content-disposition"].endswith(f'.{suffix}"')
            assert "content-length" not in response.headers  # streamed
            body = b"".join(response.iter_bytes())
        if fmt == "xlsx":
            assert [r[2] for r in read_workbook(body)["tables"][1:]] == [
                "customer_dim",
                "notes",
                "customers",
            ]
        elif fmt == "csv":
            assert sorted(read_zip(body)) == sorted(f"{s.name}.csv" for s in SECTIONS)

    filtered = client.get("/export?format=json&source=warehouse&tables=mart.customer_dim")
    assert [t["name"] for t in filtered.json()["tables"]] == ["customer_dim"]
    one = client.get("/export?format=csv&section=fields")
    assert one.headers["content-type"].startswith("text/csv")
    assert one.text.lstrip("\ufeff").startswith("source,schema,table,name,")


def test_export_refuses_unknown_formats_and_filters(client: TestClient) -> None:
    bad = client.get("/export?format=pdf")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "format"
    unknown = client.get("/export?format=json&source=nope")
    assert unknown.status_code == 400
    assert "No source is named 'nope'" in unknown.json()["error"]["message"]


def test_the_template_downloads_and_lists_every_column(client: TestClient) -> None:
    response = client.get("/export/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith('clew-import-template.xlsx"')
    sheets = read_workbook(response.content)
    for section in SECTIONS:
        assert sheets[section.name][0] == section.column_names
        # The header and the example rows: the lineage examples' downstream table and field
        # have example rows of their own.
        extra = 1 if section.name in ("tables", "fields") else 0
        assert len(sheets[section.name]) == 2 + extra
    assert [r[2] for r in sheets["tables"][1:]] == ["orders", "revenue"]
    assert [r[2:4] for r in sheets["fields"][1:]] == [
        ["orders", "customer_email"],
        ["revenue", "email"],
    ]


def _upload_app(seen: list[str]) -> Starlette:
    """A tiny app that reads a multipart upload the way the GraphQL endpoint does."""

    async def receive_file(request: Request) -> JSONResponse:
        form = await request.form()
        upload = form["file"]
        assert not isinstance(upload, str)
        data = await upload.read()
        seen.append("read the whole upload")
        return JSONResponse({"size": len(data)})

    return Starlette(routes=[Route("/upload", receive_file, methods=["POST"])])


def test_an_upload_declared_too_large_is_refused_before_it_is_read() -> None:
    seen: list[str] = []
    client = TestClient(BodySizeLimit(_upload_app(seen), max_bytes=1000))

    small = client.post("/upload", files={"file": ("a.csv", b"x" * 500)})
    large = client.post("/upload", files={"file": ("a.csv", b"x" * 5000)})

    assert small.status_code == 200 and small.json() == {"size": 500}
    assert large.status_code == 413
    error = large.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert "split the file" in error["message"]
    assert seen == ["read the whole upload"]  # only the small one reached the app


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit() -> None:
    # No Content-Length (Transfer-Encoding: chunked): the limit is only known as bytes arrive.
    seen: list[str] = []
    app = BodySizeLimit(_upload_app(seen), max_bytes=10_000)
    boundary = "xyz"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    chunks = [head] + [b"x" * 1000] * 1000 + [f"\r\n--{boundary}--\r\n".encode()]
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {
            "type": "http.request",
            "body": chunks[pulled - 1],
            "more_body": pulled < len(chunks),
        }

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/upload",
        "raw_path": b"/upload",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }

    await app(scope, receive, send)

    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert len(sent) == 2  # nothing from the app after the refusal
    assert pulled == 11  # the header chunk and ten of a thousand 1 KB chunks, then it stopped
    assert seen == []


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


MIXED = {
    "tables.csv": "schema,name\ncrm,customers\ncrm,orders\ncrm,customers\n",
    "fields.csv": "schema,table,name,nullable\n"
    "crm,customers,id,FALSE\n"
    "crm,nowhere,id,FALSE\n"
    "crm,orders,id,maybe\n"
    "crm,orders,total,TRUE\n",
}


def test_a_refused_import_says_nothing_was_written_and_what_would_have_been(
    client: TestClient,
) -> None:
    job = upload(
        client,
        "catalog.zip",
        _zip(MIXED),
        query=UPLOAD.replace("outcome errorCount", "outcome written summary errorCount").replace(
            "skipped implied", "skipped implied wouldHave { created updated }"
        ),
    )["job"]

    report = job["report"]
    assert job["outcome"] == "NOTHING_APPLIED" and job["rowsWritten"] == 0
    assert report["written"] is False
    assert report["summary"].startswith("Nothing was written: the file has 3 error(s)")
    assert "would have done this: 2 tables row(s) would be created" in report["summary"]
    by_section = {s["section"]: s for s in report["sections"]}
    assert by_section["tables"]["created"] == 0 and by_section["fields"]["created"] == 0
    assert by_section["tables"]["wouldHave"] == {"created": 2, "updated": 0}
    assert by_section["fields"]["wouldHave"] == {"created": 2, "updated": 0}

    preview = upload(
        client,
        "catalog.zip",
        _zip(MIXED),
        dry_run=True,
        query=UPLOAD.replace("outcome errorCount", "outcome written summary errorCount").replace(
            "skipped implied", "skipped implied wouldHave { created }"
        ),
    )["job"]
    assert preview["report"]["written"] is False
    assert preview["report"]["summary"].startswith("Preview: nothing was written.")
    tables = next(s for s in preview["report"]["sections"] if s["section"] == "tables")
    assert tables["created"] == 2 and tables["wouldHave"] is None


def test_problems_are_listed_in_file_order_whichever_check_found_them(
    client: TestClient,
) -> None:
    job = upload(client, "catalog.zip", _zip(MIXED))["job"]

    # Row 4 of tables and row 3 of fields are found when rows are checked against each other
    # and the catalog; row 4 of fields ('maybe') while the file is read.
    assert [(p["code"], p["row"]) for p in job["report"]["problems"]] == [
        ("DUPLICATE_ROW", 4),
        ("UNKNOWN_REFERENCE", 3),
        ("WRONG_TYPE", 4),
    ]
