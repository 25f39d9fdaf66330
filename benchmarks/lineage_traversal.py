"""How long a depth-10 lineage traversal takes on a large graph full of diamonds.

Generates 100,000 tables in 10 layers of 10,000, each table feeding two tables of the next
layer (so paths multiply while nodes do not), then times `lineageGraph` downstream from
layer-0 tables at depth 10 through the real service code. Not part of the test suite.

    .venv/bin/python benchmarks/lineage_traversal.py [--tables 100000] [--port 7691]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from graph_api import neo4j_local
from graph_api.models import Direction
from graph_api.services.lineage_views import LineageViews
from graph_api.settings import REPO_ROOT
from graph_api.store.client import Store
from graph_api.store.cypher import CypherRegistry
from graph_api.store.lineage import TraversalFilter
from graph_api.store.migrations import apply_migrations

# Generation writes straight through the driver: it is set-up, not the code being measured.
WIPE = (
    "MATCH (n) WHERE NOT n:ClewMigration CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
)
TABLES = """
UNWIND $rows AS row
CREATE (:Table {id: row.id, name: row.name, qualified_name: row.name, kind: 'TABLE',
                source_key: 'manual', tags: [], search_text: row.name,
                created_at: datetime(), updated_at: datetime()})
"""
EDGES = """
UNWIND $rows AS row
MATCH (a:Table {id: row.up}), (b:Table {id: row.down})
CREATE (a)-[:FLOWS_TO {id: row.id, level: 'TABLE', lineage_source: 'MANUAL', confidence: 0.9,
                       review_state: 'NOT_REQUIRED', explicit: true, created_by: 'bench',
                       created_at: datetime(), updated_at: datetime()}]->(b)
"""


def table_id(layer: int, index: int) -> str:
    return f"t-{layer:02d}-{index:06d}"


async def generate(store: Store, tables: int, layers: int) -> None:
    width = tables // layers
    async with store.driver.session(database=store.database) as session:
        await (await session.run(WIPE)).consume()  # IN TRANSACTIONS needs auto-commit
    rows = [
        {"id": table_id(layer, i), "name": f"l{layer}_t{i}"}
        for layer in range(layers)
        for i in range(width)
    ]
    for start in range(0, len(rows), 10_000):
        await store.driver.execute_query(
            TABLES, {"rows": rows[start : start + 10_000]}, database_=store.database
        )
    edges = []
    for layer in range(layers - 1):
        for i in range(width):
            # i feeds i and i+1 of the next layer: every pair of neighbours forms a diamond,
            # so the paths from one root double per layer while the nodes grow by one.
            for step in (0, 1):
                down = (i + step) % width
                edges.append(
                    {
                        "id": f"e-{layer}-{i}-{step}",
                        "up": table_id(layer, i),
                        "down": table_id(layer + 1, down),
                    }
                )
    for start in range(0, len(edges), 10_000):
        await store.driver.execute_query(
            EDGES, {"rows": edges[start : start + 10_000]}, database_=store.database
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=100_000)
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--port", type=int, default=7691)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the generated graph")
    args = parser.parse_args()
    data_dir = REPO_ROOT / ".clew" / "bench" / "neo4j"
    status = neo4j_local.start(data_dir=Path(data_dir), port=args.port, heap="1g", pagecache="512m")
    from neo4j import AsyncGraphDatabase

    store = Store(
        AsyncGraphDatabase.driver(
            status.bolt_uri,
            auth=neo4j_local.auth(data_dir=Path(data_dir)),
            notifications_disabled_classifications=["UNRECOGNIZED"],
        ),
        database=None,
        cypher=CypherRegistry.load(REPO_ROOT / "cypher"),
    )
    try:
        await apply_migrations(store)
        if not args.keep:
            started = time.perf_counter()
            await generate(store, args.tables, args.layers)
            print(f"generated {args.tables} tables in {time.perf_counter() - started:.1f} s")
        views = LineageViews(store)
        timings, sizes = [], []
        width = args.tables // args.layers
        for run in range(args.runs):
            root = table_id(0, (run * 997) % width)
            sent = store.statements_sent
            started = time.perf_counter()
            graph = await views.graph(
                root,
                direction=Direction.DOWNSTREAM,
                depth=10,
                include_fields=False,
                traversal=TraversalFilter(),
                max_nodes=5000,
            )
            timings.append(time.perf_counter() - started)
            sizes.append((len(graph.nodes), len(graph.edges), store.statements_sent - sent))
        print(
            f"depth-10 downstream traversal over {args.runs} roots: "
            f"median {statistics.median(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms; nodes/edges/statements of the first: {sizes[0]}"
        )
    finally:
        await store.close()
        neo4j_local.stop(data_dir=Path(data_dir))


if __name__ == "__main__":
    asyncio.run(main())
