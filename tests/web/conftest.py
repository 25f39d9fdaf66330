"""The web front end in a real browser: Debian's chromium driven by Playwright for Python,
against a real uvicorn Clew on 127.0.0.1 and the test session's real Neo4j.

Every test fails on a console error, an uncaught page error, or a request to any host other
than Clew's. Screenshots go to .clew/test/screenshots (test artefacts); with
CLEW_UPDATE_SCREENSHOTS=1 they are also copied into docs/screenshots for the README.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Playwright, async_playwright, expect

from graph_api.auth.roles import Role
from graph_api.settings import REPO_ROOT, Settings
from tests.conftest import TEST_DATA_DIR, TEST_PASSWORD, GraphQLClient

CHROMIUM = os.environ.get("CLEW_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DIST = REPO_ROOT / "web" / "app" / "dist"
SCREENSHOTS = TEST_DATA_DIR / "screenshots"
DOCS_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
SERVER_START_LIMIT_S = 60.0
# How long an expectation waits for the page to get there: a bound, not a speed claim; the
# default 5 s is too short on a machine whose two cores are shared by many test runs.
expect.set_options(timeout=15_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ClewServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="session")
def clew_server(settings: Settings) -> Iterator[ClewServer]:
    if not (DIST / "index.html").is_file():
        pytest.fail("The web front end is not built: run `make install` (it builds web/app).")
    port = int(os.environ.get("CLEW_TEST_WEB_PORT") or _free_port())
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri or "",
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password,
        "CLEW_SECRET_KEYS": ",".join(settings.secret_keys),
        "CLEW_LOG_LEVEL": "WARNING",
    }
    env.pop("CLEW_SECRET_KEYS_FILE", None)
    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    log = TEST_DATA_DIR / "web-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "graph_api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_LIMIT_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"Clew did not become ready; see {log}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    yield ClewServer(url, process, log)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


# Playwright's async API, so the browser and the async database fixtures share one event loop.
@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as p:
        yield p


@pytest.fixture(scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    await browser.close()


@dataclass
class Watch:
    """What the page did that a test must fail on."""

    base: str
    problems: list[str] = field(default_factory=list)
    # HTTP statuses the test expects the API to answer (Chromium logs each as a console
    # error, "Failed to load resource: … status of 401"), named with @pytest.mark.answers(401).
    expected: frozenset[int] = frozenset()

    def request(self, request: Any) -> None:
        url = request.url
        if url.startswith(("data:", "blob:")):
            return
        parts = urlsplit(url)
        if f"{parts.scheme.replace('ws', 'http')}://{parts.netloc}" != self.base:
            self.problems.append(f"request to another host: {url}")

    def console(self, message: Any) -> None:
        if message.type == "error":
            status = re.search(r"Failed to load resource: .* status of (\d{3})", message.text)
            if status and int(status.group(1)) in self.expected:
                return
            self.problems.append(f"console error: {message.text}")

    def page_error(self, error: Any) -> None:
        self.problems.append(f"page error: {error}")


@pytest.fixture
async def page(
    browser: Browser, clew_server: ClewServer, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    context = await browser.new_context(
        base_url=clew_server.url, viewport={"width": 1400, "height": 900}, accept_downloads=True
    )
    answers = request.node.get_closest_marker("answers")
    watch = Watch(clew_server.url, expected=frozenset(answers.args if answers else ()))
    context.on("request", watch.request)
    page = await context.new_page()
    page.on("console", watch.console)
    page.on("pageerror", watch.page_error)
    page.on("websocket", watch.request)
    yield page
    await shoot(page, f"last-{request.node.name}")
    await context.close()
    assert not watch.problems, watch.problems


async def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    if os.environ.get("CLEW_UPDATE_SCREENSHOTS") == "1" and not name.startswith("last-"):
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_SCREENSHOTS / path.name)
    return path


CREATE_USER = (
    "mutation ($u: String!, $r: Role!, $p: String) { createUser(input: "
    "{username: $u, role: $r, password: $p}) { __typename ... on UserError { message } } }"
)


@pytest.fixture
async def users(gql: GraphQLClient) -> dict[str, str]:
    """One user per role (the database is wiped before each test), all with TEST_PASSWORD."""
    names = {"VIEWER": "vera", "EDITOR": "ed", "STEWARD": "stella", "ADMIN": "ada"}
    for role, name in names.items():
        result = await gql(CREATE_USER, {"u": name, "r": role, "p": TEST_PASSWORD})
        assert result["createUser"]["__typename"] == "CreateUserSuccess", result
    return names


async def sign_in(page: Page, username: str, at: str = "/") -> None:
    await page.goto(at)
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(TEST_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Sign out").wait_for()


CREATE_TABLE = """mutation ($input: CreateTableInput!) { createTable(input: $input) {
  __typename ... on CreateTableSuccess { table { id } } ... on UserError { message } } }"""
CREATE_LINEAGE = """mutation ($edges: [LineageEdgeInput!]!) { createTableLineage(edges: $edges) {
  __typename ... on LineageChangeSuccess { results { edge { id } } } ... on UserError { message } } }"""

TABLES: dict[str, dict[str, Any]] = {
    "raw.orders": {
        "description": "Orders as the shop writes them",
        "tags": ["sales"],
        "fields": [
            {"name": "id", "dataType": "integer", "nullable": False, "primaryKey": True},
            {"name": "customer_id", "dataType": "integer", "nullable": False},
            {
                "name": "amount",
                "dataType": "numeric(10,2)",
                "description": "Order total in euros",
                "tags": ["money"],
            },
        ],
    },
    "raw.customers": {
        "description": "Customers with their contact details",
        "tags": ["pii"],
        "fields": [
            {"name": "id", "dataType": "integer", "nullable": False, "primaryKey": True},
            {"name": "email", "dataType": "varchar(255)", "tags": ["pii"]},
        ],
    },
    "staging.orders": {
        "description": "Cleaned orders joined to customers",
        "tags": ["sales"],
        "fields": [
            {"name": "order_id", "dataType": "integer", "nullable": False, "primaryKey": True},
            {"name": "amount", "dataType": "numeric(10,2)"},
        ],
    },
    "mart.daily_sales": {
        "description": "Revenue per day",
        "tags": [],
        "fields": [
            {"name": "day", "dataType": "date", "nullable": False, "primaryKey": True},
            {"name": "revenue", "dataType": "numeric(12,2)"},
        ],
    },
    "bi.revenue_dashboard": {
        "description": "The board's revenue dashboard",
        "tags": [],
        "fields": [],
    },
    "ml.churn_features": {"description": "Features for the churn model", "tags": [], "fields": []},
}

# (upstream, downstream, provenance, confidence, transformation)
EDGES = [
    ("raw.orders", "staging.orders", "MANUAL", 0.9, "ETL"),
    ("raw.customers", "staging.orders", "INFERRED", 0.4, "JOIN"),
    ("staging.orders", "mart.daily_sales", "APPROVED", 1.0, "AGGREGATION"),
    ("mart.daily_sales", "bi.revenue_dashboard", "INFERRED", 0.6, "VIEW"),
    ("mart.daily_sales", "ml.churn_features", "MANUAL", 0.8, "DIRECT"),
]


@dataclass
class Catalog:
    tables: dict[str, str]  # qualified name -> id
    edges: dict[tuple[str, str], str]  # (upstream, downstream) -> edge id


@pytest.fixture
async def catalog(gql: GraphQLClient, users: dict[str, str]) -> Catalog:
    """A small lineage: two raw tables feed staging.orders, which feeds a mart and beyond."""
    ids: dict[str, str] = {}
    for qualified, spec in TABLES.items():
        schema, name = qualified.split(".")
        result = (await gql(CREATE_TABLE, {"input": {"schema": schema, "name": name, **spec}}))[
            "createTable"
        ]
        assert result["__typename"] == "CreateTableSuccess", result
        ids[qualified] = result["table"]["id"]
    edges: dict[tuple[str, str], str] = {}
    for up, down, provenance, confidence, transformation in EDGES:
        edge = {"upstreamId": ids[up], "downstreamId": ids[down], "lineageSource": provenance,
                "confidence": confidence, "transformationType": transformation,
                "description": f"{up} feeds {down}"}  # fmt: skip
        result = (await gql(CREATE_LINEAGE, {"edges": [edge]}))["createTableLineage"]
        assert result["__typename"] == "LineageChangeSuccess", result
        edges[(up, down)] = result["results"][0]["edge"]["id"]
    return Catalog(ids, edges)


APPLY_SQL = """mutation ($sql: String!) { applySqlLineage(sql: $sql, dialect: POSTGRES) {
  __typename
  ... on ApplySqlLineageSuccess { origin { id label pendingEdgeCount } proposal { fingerprint statements { fingerprint } } }
  ... on UserError { message } } }"""

# An ETL statement over the catalog's tables: field edges with their expressions, and the
# columns it only joins on, all pending review under one SQL origin.
ETL_SQL = """INSERT INTO staging.orders (order_id, amount)
SELECT o.id, o.amount * 1.19
FROM raw.orders o
JOIN raw.customers c ON c.id = o.customer_id"""


@dataclass
class SqlOrigin:
    id: str
    label: str
    pending: int
    statement_fingerprint: str


@pytest.fixture
async def sql_origin(gql: GraphQLClient, catalog: Catalog) -> SqlOrigin:
    """ETL_SQL applied through applySqlLineage, as an editor would paste it."""
    result = (await gql(APPLY_SQL, {"sql": ETL_SQL}, actor="ed", role=Role.EDITOR))[
        "applySqlLineage"
    ]
    assert result["__typename"] == "ApplySqlLineageSuccess", result
    origin = result["origin"]
    [statement] = result["proposal"]["statements"]
    return SqlOrigin(
        origin["id"], origin["label"], origin["pendingEdgeCount"], statement["fingerprint"]
    )
