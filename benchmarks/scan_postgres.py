"""`python -m benchmarks.scan_postgres`: a real PostgreSQL with N tables of 40 columns scanned
into an empty catalog, re-scanned unchanged, and re-scanned after 50 tables changed.

Reports each scan's time, what it wrote (batches, tables, how many tables and fields got a
new updatedAt), the Clew process's peak memory and the largest Neo4j transaction memory seen
while it ran (SHOW TRANSACTIONS, polled). Needs a
PostgreSQL whose superuser is reachable over its socket (the test servers': `make test` starts
them; see tests/servers) and a Neo4j it may wipe (by default the test Neo4j). Not a test: the
targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.catalog import wipe
from graph_api.context import Services
from graph_api.models import SourceType
from graph_api.neo4j_local import USER, password
from graph_api.secrets import generate_key
from graph_api.services.scans.jobs import ScanOptions
from graph_api.settings import REPO_ROOT, Settings
from graph_api.store.client import Store, create_driver
from graph_api.store.cypher import CypherRegistry
from graph_api.store.migrations import apply_migrations
from tests.servers.sql import TEST_PASSWORD

SCHEMA = "bench_scan"
TEST_DIR = Path(os.environ.get("CLEW_TEST_DATA_DIR", REPO_ROOT / ".clew" / "test"))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scan_postgres", description=__doc__)
    parser.add_argument("--tables", type=int, default=5000)
    parser.add_argument("--columns", type=int, default=40)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument(
        "--pg-port", type=int, default=int(os.environ.get("CLEW_TEST_POSTGRES_PORT", "25432"))
    )
    parser.add_argument(
        "--pg-socket", default=str(TEST_DIR / "servers" / "postgres" / "run"), help="its socket dir"
    )
    parser.add_argument(
        "--neo4j-port", type=int, default=int(os.environ.get("CLEW_TEST_NEO4J_PORT", "7688"))
    )
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded schema")
    return parser.parse_args()


def drop(conn: psycopg.Connection[Any], tables: int) -> None:
    # One DROP SCHEMA of thousands of tables needs more locks than a default server allows.
    for start in range(0, tables, 500):
        names = ", ".join(f"{SCHEMA}.t{i:05d}" for i in range(start, min(start + 500, tables)))
        conn.execute(f"DROP TABLE IF EXISTS {names}")
    conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def seed(conn: psycopg.Connection[Any], tables: int, columns: int) -> None:
    if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone():
        drop(conn, tables)
    conn.execute(f"CREATE SCHEMA {SCHEMA}")
    body = ", ".join(
        ["id bigint PRIMARY KEY"]
        + [
            f"c{i:02d} {('text', 'integer', 'numeric(12,2)', 'timestamptz')[i % 4]}"
            for i in range(1, columns)
        ]
    )
    for start in range(0, tables, 500):
        with conn.transaction():
            for i in range(start, min(start + 500, tables)):
                conn.execute(f"CREATE TABLE {SCHEMA}.t{i:05d} ({body})")
    conn.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO clew_reader")
    conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO clew_reader")


def change(conn: psycopg.Connection[Any], count: int) -> None:
    with conn.transaction():
        for i in range(count):
            conn.execute(f"ALTER TABLE {SCHEMA}.t{i:05d} ADD COLUMN added_{i} text")
            conn.execute(f"ALTER TABLE {SCHEMA}.t{i:05d} ALTER COLUMN c01 TYPE varchar(200)")


async def poll_transaction_memory(store: Store, peak: list[int]) -> None:
    while True:
        async with store.driver.session(database="system") as session:
            result = await session.run(
                "SHOW TRANSACTIONS YIELD estimatedUsedHeapMemory, currentQuery "
                "WHERE NOT currentQuery STARTS WITH 'SHOW' "
                "RETURN max(estimatedUsedHeapMemory) AS peak"
            )
            row = await result.single()
        if row and row["peak"]:
            peak[0] = max(peak[0], int(row["peak"]))
        await asyncio.sleep(0.2)


async def timed_scan(services: Services, source_id: str, label: str) -> dict[str, Any]:
    async with services.store.driver.session() as session:
        since = (await (await session.run("RETURN datetime() AS now")).single())["now"]
    peak = [0]
    poller = asyncio.create_task(poll_transaction_memory(services.store, peak))
    before = services.store.statements_sent
    started = time.perf_counter()
    job = await services.scans.run(source_id, ScanOptions(namespaces=(SCHEMA,)), actor="bench")
    seconds = time.perf_counter() - started
    poller.cancel()
    report = job.report
    assert report is not None, job.failure
    async with services.store.driver.session() as session:
        result = await session.run(
            "MATCH (n) WHERE (n:Table OR n:Field) AND n.updated_at >= $since "
            "RETURN count(n) AS bumped",
            since=since,
        )
        bumped = (await result.single())["bumped"]
    row = {
        "scan": label,
        "status": job.status.value,
        "seconds": round(seconds, 1),
        "added": len(report.added),
        "changed": len(report.changed),
        "unchanged": len(report.unchanged),
        "batches written": report.batches_written,
        "updatedAt bumped": bumped,
        "statements": services.store.statements_sent - before,
        "neo4j tx peak MiB": round(peak[0] / 2**20, 1),
        "clew peak RSS MiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(row, flush=True)
    return row


async def main() -> None:
    args = arguments()
    pg = psycopg.connect(
        host=args.pg_socket, port=args.pg_port, user="postgres", dbname="shop", autocommit=True
    )
    if not args.reuse:
        started = time.perf_counter()
        seed(pg, args.tables, args.columns)
        print(f"seeded {args.tables} tables in {time.perf_counter() - started:.0f} s", flush=True)
    base = Settings.from_env()
    settings = replace(
        base,
        neo4j_uri=f"bolt://127.0.0.1:{args.neo4j_port}",
        neo4j_user=USER,
        neo4j_password=password(data_dir=TEST_DIR / "neo4j"),
        secret_keys=base.secret_keys or (generate_key(),),
    )
    registry = CypherRegistry.load(settings.cypher_dir)
    store = Store(create_driver(settings), database=None, cypher=registry)
    await apply_migrations(store)
    await wipe(store.driver, store.database)
    services = Services.create(settings, store)
    source = await services.sources.create(
        name="bench-pg",
        type=SourceType.POSTGRESQL,
        description=None,
        active=True,
        connection={
            "host": "127.0.0.1",
            "port": args.pg_port,
            "database": "shop",
            "username": "clew_reader",
            "query_timeout": 600,
        },
        secrets={"password": TEST_PASSWORD},
        actor="bench",
    )
    rows = [await timed_scan(services, source.id, "first scan, empty catalog")]
    rows.append(await timed_scan(services, source.id, "re-scan, nothing changed"))
    change(pg, args.changed)
    rows.append(await timed_scan(services, source.id, f"re-scan after {args.changed} changed"))
    services.connectors.close_all()
    await wipe(store.driver, store.database)  # leave the test database as it was
    await store.close()
    drop(pg, args.tables)
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    asyncio.run(main())
