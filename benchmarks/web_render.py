"""How long the lineage explorer takes to show a 1,999-table, 3,000-edge graph in headless
Chromium (issue 15: "target under 2 s"). Not part of the test suite: the browser tests in
tests/web assert what the explorer shows; this measures how soon.

The graph: one root table, then 9 layers of 222 tables (1,998 more, 1,999 in all); every
table of a layer is fed by one or two of the layer before, 3,000 edges in all. The explorer
opens it downstream to depth 10 with max=2000, as a link would. Measured per run, from the
navigation's start (performance marks the explorer sets, then the DOM):
  fetched     the lineageGraph answer has arrived and been read
  laid out    dagre has placed every node
  first paint the first table node is in the DOM, painted
  settled     all 2,000 table nodes and 3,000 edges are drawn and two frames passed

    .venv/bin/python -m benchmarks.web_render [--runs 5]    # its own Neo4j and Clew
    .venv/bin/python -m benchmarks.web_render --neo4j-dir .clew/test/neo4j --bolt bolt://127.0.0.1:9288
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
from pathlib import Path
from typing import Any

import httpx2 as httpx
from playwright.async_api import async_playwright

from benchmarks.servers import PASSWORD, clew_env, clew_server, run_id, start_neo4j
from graph_api.settings import REPO_ROOT

CHROMIUM = os.environ.get("CLEW_TEST_CHROMIUM", "/usr/bin/chromium")
LAYERS, WIDTH, EDGES = 9, 222, 3000
LIMIT_S = 300.0  # a run that takes longer has failed
CREATE = (
    "createTable(input: {name: $n%d, schema: $s}) { ... on CreateTableSuccess { table { id } } }"
)
LINEAGE = """mutation ($edges: [LineageEdgeInput!]!) { createTableLineage(edges: $edges) {
  __typename ... on UserError { message } } }"""
SETTLED = """([nodes, edges]) => new Promise((resolve) => {
  const check = () => {
    const n = document.querySelectorAll(".react-flow__node").length;
    const e = document.querySelectorAll(".react-flow__edge").length;
    const done = () => resolve(performance.now());
    if (n >= nodes && e >= edges) requestAnimationFrame(() => requestAnimationFrame(done));
    else requestAnimationFrame(check);
  };
  check();
})"""
FIRST = """() => new Promise((resolve) => {
  const check = () => document.querySelector(".react-flow__node")
    ? requestAnimationFrame(() => resolve(performance.now())) : requestAnimationFrame(check);
  check();
})"""


async def build(client: httpx.AsyncClient, url: str, prefix: str) -> str:
    ids: list[list[str]] = []
    for layer in range(LAYERS + 1):
        names = [f"{prefix}_l{layer}_t{i}" for i in range(1 if layer == 0 else WIDTH)]
        made: list[str] = []
        for start in range(0, len(names), 40):
            chunk = names[start : start + 40]
            args = ", ".join(f"$n{i}: String!" for i in range(len(chunk)))
            body = " ".join(f"a{i}: " + CREATE % i for i in range(len(chunk)))
            variables: dict[str, Any] = {f"n{i}": n for i, n in enumerate(chunk)}
            variables["s"] = prefix
            answer = await client.post(
                url,
                json={
                    "query": f"mutation ($s: String, {args}) {{ {body} }}",
                    "variables": variables,
                },
            )
            data = answer.json()["data"]
            made += [data[f"a{i}"]["table"]["id"] for i in range(len(chunk))]
        ids.append(made)
    rng = random.Random(15)
    pairs: set[tuple[str, str]] = set()
    for layer in range(1, LAYERS + 1):
        for table in ids[layer]:  # every table has a parent: the graph is connected
            pairs.add((rng.choice(ids[layer - 1]), table))
    while len(pairs) < EDGES:
        layer = rng.randrange(2, LAYERS + 1)
        pairs.add((rng.choice(ids[layer - 1]), rng.choice(ids[layer])))
    edges = [{"upstreamId": a, "downstreamId": b} for a, b in sorted(pairs)]
    answer = await client.post(url, json={"query": LINEAGE, "variables": {"edges": edges}})
    assert answer.json()["data"]["createTableLineage"]["__typename"] == "LineageChangeSuccess"
    return ids[0][0]


async def measure(base: str, root: str, runs: int) -> list[dict[str, float]]:
    results = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        await page.goto(base + "/")
        await page.get_by_label("Username").fill("bench")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("button", name="Sign out").wait_for()
        link = f"{base}/#/lineage/{root}?dir=DOWNSTREAM&depth=10&max=2000"
        for run in range(runs + 1):  # the first run warms the caches and is not counted
            await page.goto(base + "/#/catalog")
            await page.reload()
            await page.get_by_role("button", name="Sign out").wait_for()
            await page.evaluate("() => performance.clearMarks()")
            start = await page.evaluate("() => performance.now()")
            await page.evaluate(f"() => {{ location.hash = {link.split('#')[1]!r}; }}")
            first = await asyncio.wait_for(page.evaluate(FIRST), LIMIT_S)
            settled = await asyncio.wait_for(
                page.evaluate(SETTLED, [(LAYERS * WIDTH) + 1, EDGES]), LIMIT_S
            )
            print(f"run {run}: settled after {settled - start:.0f} ms", flush=True)
            marks = await page.evaluate(
                "() => Object.fromEntries(performance.getEntriesByType('mark')"
                ".map((m) => [m.name, m.startTime]))"
            )
            if run:
                results.append({
                    "fetched": marks["clew:lineage-fetched"] - start,
                    "laid out": marks["clew:lineage-laid-out"] - start,
                    "first paint": first - start,
                    "settled": settled - start,
                })  # fmt: skip
        await browser.close()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--neo4j-dir", type=Path, default=REPO_ROOT / ".clew" / "bench-web" / "neo4j"
    )
    parser.add_argument("--bolt", help="a Neo4j already running with --neo4j-dir's password")
    parser.add_argument("--root", help="the root table of a graph an earlier run built there")
    parser.add_argument(
        "--neo4j-port", type=int, default=int(os.environ.get("BENCH_NEO4J_PORT", 8299))
    )
    parser.add_argument(
        "--clew-port", type=int, default=int(os.environ.get("BENCH_CLEW_PORT", 8601))
    )
    args = parser.parse_args()
    bolt = args.bolt or start_neo4j(
        port=args.neo4j_port, data_dir=args.neo4j_dir, heap="1g", pagecache="256m"
    )
    env = clew_env(bolt, args.neo4j_dir.parent, args.neo4j_dir)
    async with clew_server(port=args.clew_port, env=env) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        root = args.root
        if root is None:
            async with httpx.AsyncClient(headers=headers, timeout=300) as client:
                root = await build(client, server.url + "/graphql", f"w{run_id()}")
            print(f"built; reuse it with --root {root}", flush=True)
        results = await measure(server.url, root, args.runs)
    tables = LAYERS * WIDTH + 1
    print(f"{platform.node()}: {os.cpu_count()} cores; {tables} tables, {EDGES} edges")
    for key in ("fetched", "laid out", "first paint", "settled"):
        values = [r[key] for r in results]
        print(f"  {key:<12} median {statistics.median(values):7.0f} ms   max {max(values):7.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
