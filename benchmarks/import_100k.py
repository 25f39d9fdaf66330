"""How fast a 100,000-row import runs, and how much memory it takes, through the real service.

Generates a catalog file (2,000 tables, 60,000 fields and ~38,000 field lineage edges by
default: about 100,000 rows) in a child process, so that generating it does not count, then
imports it ALL_OR_NOTHING (one Neo4j write transaction) into an empty local Neo4j and prints
rows per second, the peak resident memory of the importing process, and what Neo4j holds
afterwards. With --kill-after N, the import runs as `clew import` in a child process that is
killed after N seconds, and the script checks that the catalog is as it was before.

    .venv/bin/python benchmarks/import_100k.py [--format csv|xlsx|json|yaml] [--heap 512m]
        [--tables 2000] [--fields 30] [--lineage 19] [--port 7692] [--kill-after 20]
        [--data-dir .clew/bench-import/neo4j]

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WIPE = (
    "MATCH (n) WHERE NOT n:ClewMigration CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
)
COUNTS = (
    "CALL () { MATCH (t:Table) RETURN count(t) AS tables } "
    "CALL () { MATCH (f:Field) RETURN count(f) AS fields } "
    "CALL () { MATCH ()-[r:FLOWS_TO]->() RETURN count(r) AS edges } "
    "CALL () { MATCH (c:Change) RETURN count(c) AS changes } "
    # An import's audit trail: one :ChangeSet per batch, one entry per change.
    "CALL () { MATCH (s:ChangeSet) RETURN coalesce(sum(size(s.entity_ids)), 0) AS set_changes } "
    "RETURN tables, fields, edges, changes, set_changes"
)

TABLES = ["source", "schema", "name", "kind", "description", "tags"]
FIELDS = ["schema", "table", "name", "data_type", "nullable", "ordinal_position", "description"]
LINEAGE = [
    "upstream_schema",
    "upstream_table",
    "upstream_field",
    "downstream_schema",
    "downstream_table",
    "downstream_field",
    "lineage_source",
    "confidence",
    "transformation_type",
]


def rows(tables: int, fields: int, lineage: int) -> dict[str, object]:
    def table_rows():
        for t in range(tables):
            yield [None, f"s{t % 20}", f"table_{t:06d}", "TABLE", f"Table number {t}", "bench"]

    def field_rows():
        for t in range(tables):
            for f in range(fields):
                yield [
                    f"s{t % 20}",
                    f"table_{t:06d}",
                    f"column_{f:03d}",
                    "varchar(100)",
                    "TRUE",
                    f + 1,
                    f"Column {f} of table {t}",
                ]

    def lineage_rows():
        for t in range(1, tables):
            for f in range(min(lineage, fields)):
                yield [
                    f"s{(t - 1) % 20}",
                    f"table_{t - 1:06d}",
                    f"column_{f:03d}",
                    f"s{t % 20}",
                    f"table_{t:06d}",
                    f"column_{f:03d}",
                    "INFERRED" if f % 3 == 0 else "MANUAL",
                    0.8,
                    "COPY",
                ]

    return {
        "tables": (TABLES, table_rows),
        "fields": (FIELDS, field_rows),
        "field_lineage": (LINEAGE, lineage_rows),
    }


def generate(path: Path, fmt: str, tables: int, fields: int, lineage: int) -> int:
    sections = rows(tables, fields, lineage)
    total = 0
    if fmt == "csv":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (header, make) in sections.items():
                with archive.open(f"{name}.csv", "w") as member:
                    text = io.TextIOWrapper(member, encoding="utf-8", newline="")
                    writer = csv.writer(text)
                    writer.writerow(header)
                    for row in make():
                        writer.writerow(row)
                        total += 1
                    text.flush()
                    text.detach()
    elif fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        for name, (header, make) in sections.items():
            sheet = book.create_sheet(name)
            sheet.append(header)
            for row in make():
                sheet.append(row)
                total += 1
        book.save(path)
    else:
        with path.open("w", encoding="utf-8") as out:
            if fmt == "json":
                out.write('{"format": "clew-interchange", "version": 1')
                for name, (header, make) in sections.items():
                    out.write(f', "{name}": [')
                    for index, row in enumerate(make()):
                        out.write(
                            ("," if index else "") + json.dumps(dict(zip(header, row, strict=True)))
                        )
                        total += 1
                    out.write("]")
                out.write("}\n")
            else:
                import yaml

                out.write("format: clew-interchange\nversion: 1\n")
                for name, (header, make) in sections.items():
                    out.write(f"{name}:\n")
                    for row in make():
                        out.write(
                            yaml.safe_dump([dict(zip(header, row, strict=True))], sort_keys=False)
                        )
                        total += 1
    return total


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Sampler(threading.Thread):
    """Samples resident memory every 100 ms, per import phase."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.phase = "start"
        self.peaks: dict[str, float] = {}
        self.running = True

    def run(self) -> None:
        while self.running:
            now = rss_mib()
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), now)
            time.sleep(0.1)


async def main(args: argparse.Namespace) -> int:
    from graph_api import neo4j_local
    from graph_api.services.imports import ImportMode, ImportOptions, ImportService
    from graph_api.settings import Settings
    from graph_api.store.client import Store, create_driver
    from graph_api.store.cypher import CypherRegistry
    from graph_api.store.migrations import apply_migrations

    uri = args.uri
    data_dir = Path(args.data_dir) if args.data_dir else REPO / ".clew" / "bench-import" / "neo4j"
    if uri is None:
        status = neo4j_local.start(
            data_dir=data_dir, port=args.port, heap=args.heap, pagecache="256m"
        )
        uri = status.bolt_uri
    settings = Settings.from_env({**os.environ, "NEO4J_URI": uri})
    workdir: Path | None = None
    store = Store(
        create_driver(settings),
        database=settings.neo4j_database,
        cypher=CypherRegistry.load(settings.cypher_dir),
    )
    try:
        await apply_migrations(store)
        async with store.driver.session(database=store.database) as session:
            await (await session.run(WIPE)).consume()
        workdir = Path(tempfile.mkdtemp(prefix="clew-bench-"))
        suffix = {"csv": "zip", "xlsx": "xlsx", "json": "json", "yaml": "yaml"}[args.format]
        path = workdir / f"bench.{suffix}"
        started = time.perf_counter()
        out = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                __file__,
                "--generate",
                str(path),
                "--format",
                args.format,
                "--tables",
                str(args.tables),
                "--fields",
                str(args.fields),
                "--lineage",
                str(args.lineage),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        total = int(out.stdout.strip())
        print(
            f"generated {total:,} rows ({path.stat().st_size / 2**20:.1f} MiB {args.format}) "
            f"in {time.perf_counter() - started:.1f}s"
        )

        if args.kill_after is not None:
            return await kill_test(args, store, uri, path)

        if args.drop_driver_params:
            drop_driver_params()
        sampler = Sampler()
        baseline = rss_mib()
        sampler.start()

        def progress(p: object) -> None:
            sampler.phase = getattr(p, "phase").value  # noqa: B009
            CURRENT_WRITTEN[0] = getattr(p, "rows_written")  # noqa: B009

        service = ImportService(store, actor="bench")
        tx_memory = asyncio.create_task(peak_transaction_memory(store))
        started = time.perf_counter()
        job = await service.run(
            path=path,
            file_name=path.name,
            options=ImportOptions(
                mode=ImportMode(args.mode), dry_run=args.dry_run, batch_size=args.batch_size
            ),
            on_progress=progress,
        )
        elapsed = time.perf_counter() - started
        sampler.running = False
        tx_memory.cancel()
        peak_tx = await asyncio.gather(tx_memory, return_exceptions=True)
        records, _, _ = await store.driver.execute_query(COUNTS, database_=store.database)
        report = job.report
        print(
            f"job {job.status.value}, outcome "
            f"{report.outcome.value if report and report.outcome else '-'}, "
            f"{report.error_count if report else '-'} errors"
            + (f", failure: {job.failure}" if job.failure else "")
        )
        print(
            f"{total:,} rows in {elapsed:.1f}s: {total / elapsed:,.0f} rows/s "
            f"(batch size {args.batch_size}, {args.mode}, Neo4j heap {args.heap})"
        )
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"resident memory: {baseline:.0f} MiB before, peak {peak_kib / 1024:.0f} MiB; "
            "peak per phase: "
            + ", ".join(f"{k.lower()} {v:.0f} MiB" for k, v in sampler.peaks.items())
        )
        print(
            f"largest import transaction seen by SHOW TRANSACTIONS: {PEAK_TX[0] / 2**20:.0f} MiB"
            f" (estimated heap) after {PEAK_TX[1]:,} rows written"
        )
        print("Neo4j now holds:", records[0].data())
        del peak_tx
        return 0 if job.failure is None else 1
    finally:
        await store.close()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        if args.uri is None and not args.keep:
            neo4j_local.stop(data_dir=data_dir)


def drop_driver_params() -> None:
    """The Neo4j driver keeps every result of a transaction, with its parameters (in the result
    and in its summary), until the transaction ends: over a 100,000-row import that would be
    every batch's rows. The import empties the lists it sent once each statement has run (see
    store/interchange.py), which should save as much as this private-API hack; with both, the
    peak resident memory should not move (measured: 121 MiB without, 120 MiB with)."""
    from graph_api.store import client

    original = client.Tx.run

    async def run(self, statement, /, *, slots=None, **params):  # type: ignore[no-untyped-def]
        rows = await original(self, statement, slots=slots, **params)
        for result in getattr(self._tx, "_results", [])[-1:]:
            getattr(result, "_metadata", {}).pop("parameters", None)
            summary = getattr(result, "_summary", None)
            if summary is not None:
                summary.parameters = None
        return rows

    client.Tx.run = run  # type: ignore[method-assign]


PEAK_TX = [0, 0]


async def peak_transaction_memory(store: object) -> None:
    """Polls SHOW TRANSACTIONS for the import's transaction memory."""
    import graph_api.services.imports  # noqa: F401  (import keeps it warm)

    while True:
        await asyncio.sleep(0.5)
        try:
            records, _, _ = await store.driver.execute_query(  # type: ignore[attr-defined]
                "SHOW TRANSACTIONS YIELD estimatedUsedHeapMemory AS heap RETURN max(heap) AS heap",
                database_=store.database,  # type: ignore[attr-defined]
            )
        except Exception:  # noqa: BLE001 - best effort while the import runs
            continue
        heap = records[0]["heap"] or 0
        if heap > PEAK_TX[0]:
            PEAK_TX[0] = heap
            PEAK_TX[1] = CURRENT_WRITTEN[0]


CURRENT_WRITTEN = [0]


async def kill_test(args: argparse.Namespace, store: object, uri: str, path: Path) -> int:
    before, _, _ = await store.driver.execute_query(COUNTS, database_=store.database)  # type: ignore[attr-defined]
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "graph_api.cli",
        "import",
        str(path),
        env={**os.environ, "NEO4J_URI": uri},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.sleep(args.kill_after)
    if child.returncode is not None:
        print(f"the import ended before {args.kill_after}s; use a smaller --kill-after")
        return 1
    child.send_signal(signal.SIGKILL)
    await child.wait()
    print(f"killed `clew import` after {args.kill_after}s")
    await asyncio.sleep(2)  # Neo4j notices the closed connection and rolls back
    after, _, _ = await store.driver.execute_query(COUNTS, database_=store.database)  # type: ignore[attr-defined]
    jobs, _, _ = await store.driver.execute_query(  # type: ignore[attr-defined]
        "MATCH (j:ImportJob) RETURN j.status AS status, j.rows_written AS written",
        database_=store.database,  # type: ignore[attr-defined]
    )
    b = {k: v for k, v in before[0].data().items() if k not in ("changes", "set_changes")}
    a = {k: v for k, v in after[0].data().items() if k not in ("changes", "set_changes")}
    print(f"catalog before: {before[0].data()}, after: {after[0].data()}")
    print(f"job as recorded: {[j.data() for j in jobs]} (reported INTERRUPTED once stale)")
    print("catalog unchanged" if a == b else "CATALOG CHANGED")
    return 0 if a == b else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=["csv", "xlsx", "json", "yaml"], default="csv")
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--fields", type=int, default=30, help="fields per table")
    parser.add_argument(
        "--lineage", type=int, default=19, help="field edges between each table and the next"
    )
    parser.add_argument(
        "--mode", choices=["ALL_OR_NOTHING", "SKIP_INVALID"], default="ALL_OR_NOTHING"
    )
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--heap", default=None, help="heap of the local Neo4j (default: CLEW_NEO4J_HEAP's default)"
    )
    parser.add_argument("--port", type=int, default=7692)
    parser.add_argument("--data-dir", help="data directory of the local Neo4j")
    parser.add_argument("--uri", help="an existing Neo4j instead of a local one (it is wiped!)")
    parser.add_argument("--keep", action="store_true", help="leave the local Neo4j running")
    parser.add_argument("--kill-after", type=float, help="kill the import after N seconds")
    parser.add_argument(
        "--drop-driver-params",
        action="store_true",
        help="measure with the driver forgetting each statement's parameters once it has run",
    )
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.heap is None:
        from graph_api.settings import Settings

        arguments.heap = Settings.from_env({}).local_neo4j_heap
    if arguments.generate:
        print(
            generate(
                Path(arguments.generate),
                arguments.format,
                arguments.tables,
                arguments.fields,
                arguments.lineage,
            )
        )
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
