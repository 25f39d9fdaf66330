"""`python -m benchmarks.dbt_ingest [--models 500]`: a generated dbt project
(benchmarks/dbt_project.py) ingested into an empty catalog, then again unchanged, timed.
Starts its own Neo4j (port 8298 unless BENCH_NEO4J_PORT says otherwise); the target is
under 60 s for 500 models. Prints the load average too: on a shared machine the times
follow it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from benchmarks.catalog import wipe
from benchmarks.dbt_project import generate
from benchmarks.servers import clew_env, start_neo4j, stop_neo4j
from graph_api.context import Services
from graph_api.dbt.artifacts import read_project
from graph_api.dbt.columns import column_flows
from graph_api.dbt.sql import parse_model
from graph_api.settings import REPO_ROOT, Settings
from graph_api.store.client import Store, create_driver
from graph_api.store.cypher import CypherRegistry
from graph_api.store.migrations import apply_migrations

TARGET_SECONDS = 60.0


async def run(args: argparse.Namespace) -> int:
    neo4j_dir = args.data_dir / "neo4j"
    bolt = start_neo4j(port=args.neo4j_port, data_dir=neo4j_dir, heap="1g", pagecache="256m")
    settings = Settings.from_env(clew_env(bolt, args.data_dir / "clew", neo4j_dir))
    store = Store(
        create_driver(settings),
        database=settings.neo4j_database,
        cypher=CypherRegistry.load(settings.cypher_dir),
    )
    try:
        await wipe(store.driver, store.database)
        await apply_migrations(store)
        services = Services.create(settings, store)
        manifest, catalog = generate(args.models)
        manifest_bytes = json.dumps(manifest).encode()
        catalog_bytes = json.dumps(catalog).encode()
        # The compiled SQL alone, parsed as the ingest parses it (pure CPU, no database).
        project = read_project(manifest, catalog)
        known = {u: [c.name for c in n.columns] for u, n in project.nodes.items()}
        began, cpu = time.perf_counter(), time.process_time()
        column_flows(project, known, parse_model)
        print(
            f"parsing the compiled SQL alone: {time.perf_counter() - began:.1f} s "
            f"({time.process_time() - cpu:.1f} s of CPU)",
            flush=True,
        )
        results = {}
        for label in ("first ingest", "same project again"):
            began, cpu = time.perf_counter(), time.process_time()
            report = await services.dbt.ingest_project(manifest_bytes, catalog_bytes, actor="bench")
            seconds = time.perf_counter() - began
            cpu = time.process_time() - cpu
            results[label] = seconds
            assert report.lineage is not None
            print(
                f"{label}: {seconds:.1f} s ({cpu:.1f} s of Clew's CPU); "
                f"{len(report.tables_created)} tables created, "
                f"{report.fields_created} fields, {report.table_edges} table and "
                f"{report.field_edges} field edges asserted; {report.lineage.summary()}; "
                f"{len(report.problems)} problem(s)",
                flush=True,
            )
            for problem in report.problems[:5]:
                print(f"  {problem.code}: {problem.message}")
        worst = max(results.values())
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        verdict = "holds" if worst < TARGET_SECONDS else "missed"
        print(f"target: under {TARGET_SECONDS:.0f} s: {verdict}")
        return 0 if worst < TARGET_SECONDS else 1
    finally:
        await store.close()
        if not args.keep:
            stop_neo4j(neo4j_dir)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dbt_ingest", description=__doc__)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument(
        "--neo4j-port", type=int, default=int(os.environ.get("BENCH_NEO4J_PORT", 8298))
    )
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".clew" / "bench-dbt")
    parser.add_argument("--keep", action="store_true", help="leave Neo4j running")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
