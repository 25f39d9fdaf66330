"""`python -m benchmarks [--quick]`: generate, serve, time, report. See benchmarks/__init__.py."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import cases
from benchmarks.catalog import Sizes, build, wipe
from benchmarks.report import table, write
from benchmarks.servers import clew_env, clew_server, start_neo4j, stop_neo4j
from graph_api.settings import REPO_ROOT, Settings
from graph_api.store.client import Store, create_driver
from graph_api.store.cypher import CypherRegistry
from graph_api.store.migrations import apply_migrations
from graph_api.store.review_counts import recount as recount_review

SEARCH = "query ($q: String!) { search(query: $q, limit: 20) { score node { __typename } } }"
# Words of the generated column names (benchmarks.catalog.COLUMN_NAMES): each is in 2.5% to
# 22.5% of the fields (`id`).
SEARCH_WORDS = ["customer", "amount", "status", "id", "payment", "created", "warehouse"]
THREE_HOPS = """query ($root: ID!) { lineageGraph(rootId: $root, direction: BOTH, depth: 3) {
  nodes { id label depth } edges { id source target } truncated } }"""


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 3 minutes")
    parser.add_argument("--tables", type=int, help="tables in the layered diamonds")
    parser.add_argument("--layers", type=int, default=10, help="layers of the diamonds")
    parser.add_argument("--big-width", type=int, help="tables per layer of the big graph")
    parser.add_argument("--big-layers", type=int, default=10)
    parser.add_argument("--big-fields", type=int, default=11, help="fields per big-graph table")
    parser.add_argument("--fan-out", type=int, nargs="+", help="tables per nested query")
    parser.add_argument("--small-tables", type=int, default=1000)
    parser.add_argument(
        "--diamond-fields", type=int, help="fields per diamond table, for the search case"
    )
    parser.add_argument("--pending", type=int, help="pending field edges for reviewQueue")
    parser.add_argument("--import-rows", type=int, nargs="+", help="import sizes in rows")
    parser.add_argument("--runs", type=int, help="timed runs per case")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, help="seconds per concurrent round")
    environ = os.environ
    parser.add_argument(
        "--neo4j-port", type=int, default=int(environ.get("BENCH_NEO4J_PORT", 8298))
    )
    parser.add_argument("--clew-port", type=int, default=int(environ.get("BENCH_CLEW_PORT", 8600)))
    # Full runs take 2g: a 100,000-row raw import in one transaction needs more than the
    # 512 MiB of transaction memory a 1g heap allows.
    parser.add_argument("--heap", help="Neo4j heap (1g quick, 2g full)")
    parser.add_argument("--pagecache", default="512m")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".clew" / "bench")
    parser.add_argument("--out", type=Path, help="where results.json and results.md go")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the catalog there, whatever its sizes",
    )
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    parser.add_argument("--only", nargs="+", help="run only cases whose key starts so")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults: dict[str, Any] = {
        "tables": 10_000 if quick else 100_000,
        # Full: 100,000 tables and a million fields to search.
        "diamond_fields": 2 if quick else 10,
        "big_width": 12 if quick else 40,
        "pending": 20_000 if quick else 1_000_000,
        "fan_out": [10, 100] if quick else [10, 1000],
        "heap": "1g" if quick else "2g",
        "import_rows": [10_000] if quick else [10_000, 100_000],
        "runs": 7 if quick else 20,
        "seconds": 3.0 if quick else 8.0,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.out = args.out or args.data_dir / ("quick" if quick else "full")
    return args


def wanted(args: argparse.Namespace, key: str) -> bool:
    return not args.only or any(key.startswith(o) for o in args.only)


async def run(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    neo4j_dir = args.data_dir / "neo4j"
    print(f"starting Neo4j on port {args.neo4j_port} ({neo4j_dir})", flush=True)
    bolt = start_neo4j(
        port=args.neo4j_port, data_dir=neo4j_dir, heap=args.heap, pagecache=args.pagecache
    )
    env = clew_env(bolt, args.data_dir / "clew", neo4j_dir)
    settings = Settings.from_env(env)
    store = Store(
        create_driver(settings),
        database=settings.neo4j_database,
        cypher=CypherRegistry.load(settings.cypher_dir),
    )
    driver = store.driver
    sizes = Sizes(
        diamond_tables=args.tables,
        diamond_layers=args.layers,
        big_width=args.big_width,
        big_layers=args.big_layers,
        big_fields=args.big_fields,
        fan_tables=max(args.fan_out),
        small_tables=args.small_tables,
        pending_edges=args.pending,
        seed_tables=1000,
        diamond_fields=args.diamond_fields,
    )
    results: list[cases.Result] = []
    try:
        await apply_migrations(store)
        marker = json.dumps(sizes.__dict__, sort_keys=True)
        records, _, _ = await driver.execute_query(
            "MATCH (m:BenchCatalog) RETURN m.sizes AS sizes", database_=store.database
        )
        if args.reuse or (records and records[0]["sizes"] == marker):
            print("reusing the catalog generated before (same sizes)", flush=True)
        else:
            started = time.perf_counter()
            await wipe(driver, store.database)
            catalog = build(sizes)
            await catalog.write(driver, store.database)
            # The review queue's counters of the edges just written, as migration 015 builds
            # them for edges written before it.
            await recount_review(store)
            print(
                f"generated {len(catalog.tables):,} tables, "
                f"{len(catalog.fields) + args.tables * args.diamond_fields:,} fields, "
                f"{len(catalog.table_edges):,} table edges, {len(catalog.field_edges):,} field "
                f"edges in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            await driver.execute_query(
                "CREATE (:BenchCatalog {sizes: $sizes})", sizes=marker, database_=store.database
            )
        width = args.tables // args.layers
        diamond_roots = [f"diamond-00-{(i * 997) % width:06d}" for i in range(args.runs + 1)]
        async with clew_server(port=args.clew_port, env=env) as server:

            async def case(key: str, make: Any) -> None:
                if not wanted(args, key):
                    return
                started = time.perf_counter()
                try:
                    found = await make()
                except Exception as exc:  # noqa: BLE001 - one broken case must not sink the run
                    found = cases.Result(key, "ms", [0.0], target="runs", ok=False)
                    found.notes = {"failed": f"{type(exc).__name__}: {exc}"[:300]}
                for result in found if isinstance(found, list) else [found]:
                    results.append(result)
                    print(
                        f"{result.case}: Clew {result.clew_median:,.1f} {result.unit}"
                        + (f", raw {result.raw_median:,.1f}" if result.raw else "")
                        + (f", ratio {result.ratio:.2f}" if result.ratio else "")
                        + (", holds" if result.ok else ", MISSED")
                        + f" ({time.perf_counter() - started:.0f} s)"
                        + (f" {result.notes}" if result.notes else ""),
                        flush=True,
                    )

            for depth in (3, 10):
                await case(
                    f"traversal{depth}",
                    lambda depth=depth: cases.traversal(
                        f"lineageGraph downstream, depth {depth}, {args.tables:,} tables in "
                        f"{args.layers} layers of diamonds",
                        store=store,
                        driver=driver,
                        roots=diamond_roots,
                        depth=depth,
                        runs=args.runs,
                        target_ratio=2,
                    ),
                )
            traversals = [r for r in results if r.case.startswith("lineageGraph downstream")]
            if len(traversals) == 2:
                growth = traversals[1].clew_median / traversals[0].clew_median
                results.append(
                    cases.Result(
                        "depth 10 over depth 3 (Clew medians)",
                        "x",
                        [growth],
                        target="at most 3",
                        ok=growth <= 3,
                    )
                )
            await case(
                "dense",
                lambda: cases.traversal(
                    "a 640-table component with 262,144 paths, depth 10",
                    store=store,
                    driver=driver,
                    roots=["dense-00-000000"],
                    depth=10,
                    runs=args.runs,
                    target_ratio=2,
                ),
            )
            await case(
                "big",
                lambda: cases.big_graph(
                    server=server,
                    driver=driver,
                    root="big-root",
                    depth=args.big_layers,
                    runs=max(3, args.runs // 3),
                ),
            )
            small_ids = [f"small-{i:06d}" for i in range(args.small_tables)]
            await case(
                "small",
                lambda: cases.small_query(
                    server=server,
                    store=store,
                    driver=driver,
                    ids=small_ids,
                    clients=args.clients,
                    seconds=args.seconds,
                    rounds=3,
                ),
            )
            await case(
                "nested",
                lambda: cases.nested_statements(
                    store=store, settings=settings, fan_outs=sorted(args.fan_out)
                ),
            )
            await case(
                "seed",
                lambda: cases.http_case(
                    "seed bar: 3-hop lineageGraph on a 1,000-table graph",
                    server=server,
                    query=THREE_HOPS,
                    variables=lambda i: {"root": f"seed-05-{(i * 7) % 100:06d}"},
                    runs=args.runs,
                    target_ms=500,
                    check=lambda d: {"nodes": len(d["lineageGraph"]["nodes"])},
                ),
            )
            await case(
                "review",
                lambda: cases.review_queue(
                    server=server,
                    runs=max(7, args.runs),
                    small_queue=sizes.pending_table_edges if args.pending else 0,
                ),
            )
            searched = f"{args.tables:,} tables and {args.tables * args.diamond_fields:,} fields"
            await case(
                "search",
                lambda: cases.http_case(
                    f"search, first page, one table's name, {searched}",
                    server=server,
                    query=SEARCH,
                    variables=lambda i: {"q": f"small {i * 37 % args.small_tables:06d}"},
                    # A page takes tens of ms: enough runs for the p95 not to be the maximum.
                    runs=max(args.runs, 30),
                    target_ms=100,
                    check=lambda d: {"hits": len(d["search"])},
                ),
            )
            await case(
                "search",
                lambda: cases.http_case(
                    f"search, first page, a column word (in 2.5-22.5% of fields), {searched}",
                    server=server,
                    query=SEARCH,
                    variables=lambda i: {"q": SEARCH_WORDS[i % len(SEARCH_WORDS)]},
                    # A page takes tens of ms: enough runs for the p95 not to be the maximum.
                    runs=max(args.runs, 30),
                    target_ms=100,
                    check=lambda d: {"hits": len(d["search"])},
                ),
            )
            for rows in args.import_rows:
                await case(
                    "import",
                    lambda rows=rows: cases.import_case(
                        store=store,
                        driver=driver,
                        rows=rows,
                        runs=1 if rows >= 100_000 else 2,
                        tag=str(int(time.time())),
                    ),
                )
            imports = {r.notes["rows"]: r for r in results if "rows" in r.notes}
            if imports:
                smallest = min(imports)
                r = imports[smallest]
                seconds = r.notes["seconds"]
                results.append(
                    cases.Result(
                        f"seed bar: {smallest:,}-row import",
                        "s",
                        [seconds],
                        target="under 120 s",
                        ok=seconds < 120,
                    )
                )
                if len(imports) > 1:
                    largest = max(imports)
                    keep = imports[largest].clew_median / imports[smallest].clew_median
                    results.append(
                        cases.Result(
                            f"import rate at {largest:,} rows over the rate at {smallest:,}",
                            "x",
                            [keep],
                            target="at least 0.8",
                            ok=keep >= 0.8,
                        )
                    )
            smalls = [r for r in results if r.case.startswith("table(id)")]
            if smalls:
                api = smalls[0].notes["clew_p95_ms"]
                results.append(
                    cases.Result(
                        "seed bar: API p95 (the small query under load)",
                        "ms",
                        [api],
                        target="under 200 ms",
                        ok=api < 200,
                    )
                )
            peak = max(server.memory.peak_kib, server.memory.read()) / 1024
            results.append(
                cases.Result(
                    "Clew server peak resident memory (polled from /proc)",
                    "MiB",
                    [peak],
                    notes={"samples": server.memory.samples},
                )
            )
    finally:
        await store.close()
        if not args.keep:
            stop_neo4j(neo4j_dir)
    elapsed = time.perf_counter() - began
    meta = {
        "mode": "quick" if args.quick else "full",
        "sizes": sizes.__dict__,
        "import_rows": args.import_rows,
        "runs": args.runs,
        "clients": args.clients,
        "seconds_total": elapsed,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "neo4j_heap": args.heap,
        "neo4j_pagecache": args.pagecache,
    }
    json_path, md_path = write(args.out, results, meta)
    print()
    print(table(results))
    print(f"{meta['mode']} run took {elapsed:.0f} s; wrote {json_path} and {md_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(arguments(argv)))


if __name__ == "__main__":
    sys.exit(main())
