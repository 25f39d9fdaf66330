"""Review by origin: a steward picks what asserted the pending lineage (a SQL text, a dbt
project, a person), reads its evidence, and decides all of it in one action, or trusts it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2 as httpx
from playwright.async_api import Page, expect

from tests.conftest import LOGIN, TEST_PASSWORD, GraphQLClient
from tests.web.conftest import Catalog, ClewServer, SqlOrigin, shoot, sign_in

JAFFLE = Path(__file__).parent.parent / "fixtures" / "dbt" / "jaffle"
INGEST_DBT = """mutation ($manifest: Upload!) { ingestDbtProject(input: {manifest: $manifest}) {
  __typename ... on IngestDbtProjectSuccess { report { originId relations { uniqueId table { id } } } }
  ... on UserError { message } } }"""
EDGE_REVIEW = (
    """query ($id: ID!) { lineageEdge(id: $id) { reviewState reviewedBy reviewComment } }"""
)
QUEUE_IDS = """query ($origin: ID) { reviewQueue(originId: $origin) { edges { id } } }"""
GRAPH = """query ($id: ID!) { lineageGraph(rootId: $id, direction: UPSTREAM, depth: 1) {
  nodes { id label } edges { id source target } } }"""


def ingest_dbt(server: ClewServer, username: str) -> dict[str, Any]:
    """The jaffle project's manifest uploaded over HTTP (the multipart request spec), as dbt
    users do after `dbt compile`."""
    signed_in = httpx.post(f"{server.url}/graphql", timeout=60, json={
        "query": LOGIN, "variables": {"u": username, "p": TEST_PASSWORD}}).json()  # fmt: skip
    token = signed_in["data"]["login"]["token"]
    answer = httpx.post(
        f"{server.url}/graphql",
        headers={"Authorization": f"Bearer {token}"},
        data={
            "operations": json.dumps({"query": INGEST_DBT, "variables": {"manifest": None}}),
            "map": json.dumps({"0": ["variables.manifest"]}),
        },
        files={"0": ("manifest.json", (JAFFLE / "manifest.json").read_bytes(), "application/json")},
        timeout=120,
    ).json()
    assert "errors" not in answer, answer
    result = answer["data"]["ingestDbtProject"]
    assert result["__typename"] == "IngestDbtProjectSuccess", result
    report: dict[str, Any] = result["report"]
    return report


async def test_a_steward_filters_by_origin_reads_the_evidence_and_approves_all_of_it(
    page: Page, sql_origin: SqlOrigin, gql: GraphQLClient
) -> None:
    person_edges = {
        e["id"] for e in (await gql(QUEUE_IDS, {"origin": None}))["reviewQueue"]["edges"]
    }
    sql_edges = {
        e["id"] for e in (await gql(QUEUE_IDS, {"origin": sql_origin.id}))["reviewQueue"]["edges"]
    }
    assert len(sql_edges) == sql_origin.pending == 6
    await sign_in(page, "stella", at="/#/review")

    # Two origins wait: the SQL text an editor applied, and the person who drew the catalog.
    origins = page.get_by_role("table", name="Origins of lineage")
    sql_row = origins.get_by_role("row").filter(has_text=sql_origin.label)
    await expect(sql_row).to_contain_text("SQL text")
    await expect(sql_row.get_by_role("cell").nth(2)).to_have_text("6")
    await expect(origins.get_by_role("row").filter(has_text="tester")).to_contain_text("person")
    await expect(page.get_by_text("8 pending")).to_be_visible()

    await origins.get_by_role("link", name=sql_origin.label).click()
    await expect(page).to_have_url(f"/#/review?origin={sql_origin.id}")
    await expect(
        page.get_by_role("heading", name=f"Pending edges from {sql_origin.label}")
    ).to_be_visible()
    queue = page.get_by_role("table", name="Pending lineage")
    rows = queue.get_by_role("row")
    await expect(rows).to_have_count(1 + 6)
    await expect(page.get_by_text("6 pending: 0 table edges, 6 field edges")).to_be_visible()
    # Each edge says which statement and which expression in it.
    amount = rows.filter(has_text="raw.orders.amount")
    await expect(amount).to_contain_text("Expression")
    await expect(amount).to_contain_text("o.amount * 1.19")
    await expect(amount).to_contain_text(f"Statement fingerprint{sql_origin.statement_fingerprint}")
    await amount.get_by_text("SQL it was read from").click()
    await expect(amount.locator("pre")).to_contain_text(
        "JOIN raw.customers c ON c.id = o.customer_id"
    )
    await expect(amount).to_contain_text("Statementno. 1, line 1, POSTGRES dialect")
    await expect(queue).not_to_contain_text("bi.revenue_dashboard")
    await page.evaluate("window.scrollTo(0, 0)")
    await shoot(page, "review-by-origin")

    # A link reproduces the filtered queue.
    await page.reload()
    await expect(rows).to_have_count(1 + 6)

    await page.get_by_role("button", name="Approve all 6 from this origin").click()
    dialog = page.get_by_role("dialog", name=f"Approve all 6 edges from {sql_origin.label}?")
    await expect(dialog).to_contain_text("whatever the level and confidence filters show")
    await dialog.get_by_label("Comment (optional)").fill("Matches the nightly orders job")
    await shoot(page, "review-approve-origin")
    await dialog.get_by_role("button", name="Approve all 6").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("status")).to_have_text(
        f"Approved 6 edges from {sql_origin.label}. Nothing from it waits for review now."
    )
    await expect(rows).to_have_count(1)
    await expect(page.get_by_text("0 pending")).to_be_visible()
    await expect(page.get_by_role("button", name="Approve all 0 from this origin")).to_be_disabled()
    for edge_id in sql_edges:
        decided = (await gql(EDGE_REVIEW, {"id": edge_id}))["lineageEdge"]
        assert decided == {"reviewState": "APPROVED", "reviewedBy": "stella",
                           "reviewComment": "Matches the nightly orders job"}  # fmt: skip

    # The person's edges still wait, and nothing else changed.
    await page.get_by_role("link", name="Show every origin's edges").click()
    await expect(page.get_by_text("2 pending")).to_be_visible()
    left = {e["id"] for e in (await gql(QUEUE_IDS, {"origin": None}))["reviewQueue"]["edges"]}
    assert left == person_edges - sql_edges

    # An origin with nothing waiting leaves the list unless asked for; the kind filters it.
    await expect(origins.get_by_role("link", name=sql_origin.label)).to_have_count(0)
    await page.get_by_label("Include origins with nothing waiting").check()
    await expect(sql_row.get_by_role("cell").nth(2)).to_have_text("0")
    await page.get_by_label("Origin kind").select_option("PERSON")
    await expect(page).to_have_url("/#/review?kind=PERSON&every=1")
    await expect(origins.get_by_role("row")).to_have_count(1 + 1)
    await expect(origins).to_contain_text("tester")


async def test_a_steward_rejects_all_from_an_origin_with_a_reason_and_trusts_another(
    page: Page, sql_origin: SqlOrigin, gql: GraphQLClient
) -> None:
    sql_edges = [
        e["id"] for e in (await gql(QUEUE_IDS, {"origin": sql_origin.id}))["reviewQueue"]["edges"]
    ]
    await sign_in(page, "stella", at=f"/#/review?origin={sql_origin.id}")
    rows = page.get_by_role("table", name="Pending lineage").get_by_role("row")
    await expect(rows).to_have_count(1 + 6)

    await page.get_by_role("button", name="Reject all 6 from this origin").click()
    dialog = page.get_by_role("dialog")
    reject = dialog.get_by_role("button", name="Reject all 6")
    await expect(reject).to_be_disabled()
    # What the API refuses is said in the dialog, in its words, and nothing is decided.
    await dialog.get_by_label("Reason (needed to reject)").fill("retired " * 300)
    await reject.click()
    await expect(dialog.get_by_role("alert")).to_contain_text("keep it to 2,000")
    await expect(rows).to_have_count(1 + 6)
    await dialog.get_by_label("Reason (needed to reject)").fill("The job was retired in November")
    await reject.click()
    await expect(page.get_by_role("status")).to_have_text(
        f"Rejected 6 edges from {sql_origin.label}. Nothing from it waits for review now."
    )
    await expect(rows).to_have_count(1)
    assert (await gql(QUEUE_IDS, {"origin": sql_origin.id}))["reviewQueue"]["edges"] == []
    decided = (await gql(EDGE_REVIEW, {"id": sql_edges[0]}))["lineageEdge"]
    assert decided == {"reviewState": "REJECTED", "reviewedBy": "stella",
                       "reviewComment": "The job was retired in November"}  # fmt: skip

    # Cancelling asks nothing of the server.
    await page.get_by_role("link", name="Show every origin's edges").click()
    await (
        page.get_by_role("table", name="Origins of lineage")
        .get_by_role("link", name="tester")
        .click()
    )
    await page.get_by_role("button", name="Approve all 2 from this origin").click()
    await page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await expect(rows).to_have_count(1 + 2)

    panel = page.get_by_role("region", name="Origin tester")
    await panel.get_by_label("Trust comment (optional)").fill("Stella checks what tester draws")
    await panel.get_by_role("button", name="Trust this origin").click()
    await expect(panel.get_by_role("status")).to_have_text(
        "tester is trusted: the edges it asserts from now on arrive approved, with you as their "
        "reviewer. The 2 edges already waiting stay pending: “Approve all” decides them."
    )
    await expect(panel).to_contain_text("Trusted by stella")
    await expect(panel).to_contain_text("Stella checks what tester draws")
    await expect(
        page.get_by_role("table", name="Origins of lineage")
        .get_by_role("row")
        .filter(has_text="tester")
    ).to_contain_text("yes, by stella")
    await shoot(page, "review-origin-trusted")
    await panel.get_by_role("button", name="Stop trusting this origin").click()
    await expect(panel.get_by_role("status")).to_have_text(
        "tester is no longer trusted: the edges it asserts from now on wait for review."
    )
    await expect(panel.get_by_role("button", name="Trust this origin")).to_be_visible()


async def test_an_editor_sees_origins_and_evidence_but_no_approve_all_or_trust(
    page: Page, sql_origin: SqlOrigin
) -> None:
    await sign_in(page, "ed", at=f"/#/review?origin={sql_origin.id}")
    await expect(
        page.get_by_role("table", name="Pending lineage").get_by_role("row")
    ).to_have_count(1 + 6)
    await expect(page.get_by_text("o.amount * 1.19", exact=True)).to_be_visible()
    await expect(page.get_by_text(
        "Approving or rejecting everything from an origin, and trusting it: Needs the STEWARD role or higher."
    )).to_be_visible()  # fmt: skip
    for name in ("Approve all", "Reject all", "Trust this origin", "Stop trusting"):
        await expect(page.get_by_role("button", name=name)).to_have_count(0)


async def test_a_link_to_an_origin_that_is_gone_says_so(page: Page, catalog: Catalog) -> None:
    await sign_in(page, "stella", at="/#/review?origin=no-such-origin")
    await expect(page.get_by_role("alert")).to_contain_text("No origin has this id any more")
    await page.get_by_role("link", name="Show every origin's edges").click()
    await expect(page.get_by_text("2 pending")).to_be_visible()


async def test_the_edge_panel_shows_which_origins_assert_an_edge_with_their_evidence(
    page: Page, sql_origin: SqlOrigin, catalog: Catalog, clew_server: ClewServer, gql: GraphQLClient
) -> None:
    report = ingest_dbt(clew_server, "ed")
    tables = {r["uniqueId"]: r["table"]["id"] for r in report["relations"]}
    orders, stg_orders = tables["model.jaffle.orders"], tables["model.jaffle.stg_orders"]
    graph = (await gql(GRAPH, {"id": orders}))["lineageGraph"]
    [edge] = [
        e["id"] for e in graph["edges"] if e["source"] == stg_orders and e["target"] == orders
    ]

    await sign_in(page, "vera", at=f"/#/lineage/{orders}?dir=UPSTREAM&depth=1&edge={edge}")
    panel = page.get_by_role("complementary", name="Edge details")
    origins = panel.get_by_role("list", name="Origins and evidence")
    await expect(origins).to_contain_text("jaffle")
    await expect(origins).to_contain_text("dbt project")
    await expect(origins).to_contain_text("dbt unique_idmodel.jaffle.orders")
    await expect(origins).to_contain_text("Depends onmodel.jaffle.stg_orders")
    await shoot(page, "lineage-edge-origins")
    await origins.get_by_role("link", name="review what it asserts").click()
    await expect(page).to_have_url(f"/#/review?origin={report['originId']}")
    await expect(page.get_by_role("region", name="Origin dbt project jaffle")).to_contain_text(
        "A dbt project (jaffle)"
    )

    # An edge a person drew by hand says so: there is no evidence to show.
    customers = catalog.edges[("raw.customers", "staging.orders")]
    await page.goto(
        f"/#/lineage/{catalog.tables['staging.orders']}?dir=UPSTREAM&depth=1&edge={customers}"
    )
    await expect(origins).to_contain_text("tester")
    await expect(origins).to_contain_text("Declared by hand through the API; no evidence recorded.")
