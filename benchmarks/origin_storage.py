"""`python -m benchmarks.origin_storage BOLT_URI DATA_DIR`: why assertions are nodes.

Builds 100,000 field edges asserted by 100 origins (1,000 each) in the Neo4j at BOLT_URI (the
password from DATA_DIR, as `clew neo4j` keeps it; the database is wiped first and after), then
PROFILEs "every edge origin X asserts" two ways: the stored shape (an :Assertion node per origin
and edge, indexed by origin, its edge found through the lineage_id constraint), and the
alternative (a list of origin ids on each FLOWS_TO relationship). Prints db hits and time."""

from __future__ import annotations

import asyncio
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.catalog import wipe
from graph_api import neo4j_local
from graph_api.settings import Settings
from graph_api.store.client import Store, create_driver
from graph_api.store.cypher import CypherRegistry
from graph_api.store.migrations import apply_migrations

EDGES = 100_000
ORIGINS = 100
BUILD = """
UNWIND range($from, $to - 1) AS i
CREATE (a:Field {id: 'fa' + i})-[:FLOWS_TO {id: 'e' + i, level: 'FIELD',
  origin_ids: ['o' + (i % $origins)], review_state: 'PENDING', confidence: 0.5,
  lineage_source: 'INFERRED'}]->(b:Field {id: 'fb' + i})
CREATE (:Assertion {origin_id: 'o' + (i % $origins), edge_id: 'e' + i, level: 'FIELD',
  evidence: '{"sql": "select 1"}', first_seen: datetime(), last_seen: datetime()})
"""
AS_LIST = """
MATCH (a)-[r:FLOWS_TO]->(b) WHERE $origin_id IN r.origin_ids
RETURN r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
"""


def _hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_hits(c) for c in plan.get("children", []))


async def main(uri: str, data_dir: Path) -> None:
    user, password = neo4j_local.auth(data_dir=data_dir)
    settings = replace(Settings.from_env(), neo4j_uri=uri, neo4j_user=user, neo4j_password=password)
    store = Store(
        create_driver(settings), database=None, cypher=CypherRegistry.load(settings.cypher_dir)
    )
    try:
        await wipe(store.driver, store.database)
        await apply_migrations(store)
        for start in range(0, EDGES, 10_000):
            await store.driver.execute_query(
                BUILD, {"from": start, "to": start + 10_000, "origins": ORIGINS}
            )
        node_shape = store.cypher.render("origins/assertions_of", None)
        for name, query in (("assertion nodes", node_shape), ("list on the relationship", AS_LIST)):
            params = {"origin_id": "o7"}
            records, summary, _ = await store.driver.execute_query("PROFILE " + query, params)
            times = []
            for _ in range(7):
                _, timed, _ = await store.driver.execute_query(query, params)
                times.append(
                    (timed.result_available_after or 0) + (timed.result_consumed_after or 0)
                )
            print(
                f"{name}: {len(records)} edges, {_hits(summary.profile or {})} db hits, "
                f"server median {statistics.median(times)} ms"
            )
    finally:
        await wipe(store.driver, store.database)
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
