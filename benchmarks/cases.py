"""The cases: each times Clew and, interleaved with it in the same run, the best the same
Neo4j can do for the same answer (the raw ceiling)."""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import READ_ACCESS, AsyncDriver

from benchmarks.catalog import ImportShape
from benchmarks.servers import ClewServer
from graph_api.models import Direction
from graph_api.services.lineage_views import LineageViews
from graph_api.store.client import Store
from graph_api.store.lineage import TraversalFilter

Timer = Callable[[int], Awaitable[Any]]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Result:
    case: str
    unit: str  # "ms" (lower is better) or "rows/s", "req/s" (higher is better)
    clew: list[float]
    raw: list[float] = field(default_factory=list)
    target: str = ""
    ok: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def clew_median(self) -> float:
        return statistics.median(self.clew)

    @property
    def raw_median(self) -> float | None:
        return statistics.median(self.raw) if self.raw else None

    @property
    def ratio(self) -> float | None:
        """How many times slower than raw (ms), or what fraction of raw's rate (rates)."""
        if not self.raw:
            return None
        return self.clew_median / statistics.median(self.raw)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "unit": self.unit,
            "clew": {"median": self.clew_median, "p95": p95(self.clew), "runs": self.clew},
            "raw": (
                {"median": self.raw_median, "p95": p95(self.raw), "runs": self.raw}
                if self.raw
                else None
            ),
            "ratio": self.ratio,
            "target": self.target,
            "ok": self.ok,
            "notes": self.notes,
        }


async def interleaved(clew: Timer, raw: Timer | None, runs: int) -> tuple[list[float], list[float]]:
    """One warm-up each, then Clew and raw in turn, so both see the same machine load. Run i
    reads what run i of the other reads (the same root), so whichever goes first pays for
    pages not yet cached: the order alternates, and each pays that half the time."""
    await clew(runs)
    if raw:
        await raw(runs)
    a: list[float] = []
    b: list[float] = []

    async def timed(timer: Timer, i: int, into: list[float]) -> None:
        started = time.perf_counter()
        await timer(i)
        into.append((time.perf_counter() - started) * 1000)

    for i in range(runs):
        if raw and i % 2:
            await timed(raw, i, b)
            await timed(clew, i, a)
        else:
            await timed(clew, i, a)
            if raw:
                await timed(raw, i, b)
    return a, b


# ---------------------------------------------------------------- traversal

RAW_TRAVERSAL = """
MATCH (r:Table {id: $id})
OPTIONAL MATCH (r)-[:FLOWS_TO*1..%d]->(m:Table)
WITH r, collect(DISTINCT m) AS reached
WITH [r] + reached AS nodes
UNWIND nodes AS n
OPTIONAL MATCH (n)-[e:FLOWS_TO]->(o:Table) WHERE o IN nodes
RETURN n.id AS id, n.qualified_name AS label,
       collect(e {.id, .level, .lineage_source, .confidence, .transformation_type,
                  source: n.id, target: o.id}) AS edges
"""


async def traversal(
    name: str,
    *,
    store: Store,
    driver: AsyncDriver,
    roots: list[str],
    depth: int,
    runs: int,
    target_ratio: float,
) -> Result:
    views = LineageViews(store)
    sizes: list[tuple[int, int, int]] = []

    async def clew(i: int) -> None:
        sent = store.statements_sent
        graph = await views.graph(
            roots[i % len(roots)],
            direction=Direction.DOWNSTREAM,
            depth=depth,
            include_fields=False,
            traversal=TraversalFilter(),
            max_nodes=5000,
        )
        sizes.append((len(graph.nodes), len(graph.edges), store.statements_sent - sent))

    async def raw(i: int) -> None:
        await driver.execute_query(RAW_TRAVERSAL % depth, {"id": roots[i % len(roots)]})

    a, b = await interleaved(clew, raw, runs)
    result = Result(name, "ms", a, b, target=f"at most {target_ratio:g}x raw")
    result.ok = (result.ratio or 0) <= target_ratio
    nodes, edges, statements = sizes[-1]
    result.notes = {"nodes": nodes, "edges": edges, "statements": statements}
    return result


# ---------------------------------------------------------------- the big answer

GRAPH = """
query ($root: ID!, $depth: Int!) {
  lineageGraph(rootId: $root, direction: DOWNSTREAM, depth: $depth, includeFields: true,
               maxNodes: 5000) {
    rootId truncated frontier
    nodes { id type label depth parentId hasMore data }
    edges { id source target level provenance confidence transformation implied }
  }
}
"""
RAW_GRAPH = """
MATCH (r:Table {id: $id})
OPTIONAL MATCH (r)-[:FLOWS_TO*1..%d]->(m:Table)
WITH r, collect(DISTINCT m) AS reached
WITH [r] + reached AS tables
CALL (tables) {
  UNWIND tables AS t
  MATCH (t)-[e:FLOWS_TO]->(o:Table) WHERE o IN tables
  RETURN collect(e {.id, .level, .lineage_source, .confidence, .transformation_type, .explicit,
                    source: t.id, target: o.id}) AS table_edges
}
CALL (tables) {
  UNWIND tables AS t
  MATCH (t)-[:HAS_FIELD]->(f:Field)-[e:FLOWS_TO]->(g:Field)<-[:HAS_FIELD]-(o:Table)
  WHERE o IN tables
  RETURN collect(e {.id, .level, .lineage_source, .confidence, .transformation_type, .explicit,
                    source: f.id, target: g.id}) AS field_edges,
         collect(DISTINCT f {.id, .name, .data_type, .table_id, .description})
           + collect(DISTINCT g {.id, .name, .data_type, .table_id, .description}) AS fields
}
RETURN [t IN tables | t {.id, .name, .schema, .qualified_name, .kind, .source_key,
                         .description, .tags}] AS tables, table_edges, field_edges, fields
"""


def _dumps() -> Callable[[Any], bytes]:
    try:
        import orjson

        return orjson.dumps
    except ImportError:  # not a dependency of Clew; the stdlib is the fallback ceiling
        return lambda value: json.dumps(value, separators=(",", ":")).encode()


GRAPH_FLOW = GRAPH.replace(
    """nodes { id type label depth parentId hasMore data }
    edges { id source target level provenance confidence transformation implied }""",
    "flow",
)


async def big_graph(
    *, server: ClewServer, driver: AsyncDriver, root: str, depth: int, runs: int
) -> list[Result]:
    """The typed nodes and edges, then the same graph as one JSON value (`flow`)."""
    dumps = _dumps()
    results = []
    async with server.client() as client:
        for query, name in (
            (GRAPH, "typed nodes and edges"),
            (GRAPH_FLOW, "as one JSON value, flow"),
        ):
            sizes: list[tuple[int, int, int]] = []

            async def clew(
                _: int, query: str = query, sizes: list[tuple[int, int, int]] = sizes
            ) -> None:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": {"root": root, "depth": depth}}
                )
                body = response.json()
                if body.get("errors"):
                    raise RuntimeError(f"lineageGraph: {body['errors']}")
                graph = body["data"]["lineageGraph"]
                graph = graph.get("flow") or graph
                sizes.append((len(graph["nodes"]), len(graph["edges"]), len(response.content)))

            async def raw(_: int) -> None:
                records, _, _ = await driver.execute_query(RAW_GRAPH % depth, {"id": root})
                dumps(records[0].data())

            a, b = await interleaved(clew, raw, runs)
            result = Result(
                f"lineageGraph, big answer over HTTP, {name}", "ms", a, b, target="at most 1.5x raw"
            )
            result.ok = (result.ratio or 0) <= 1.5
            nodes, edges, size = sizes[-1]
            result.notes = {"nodes": nodes, "edges": edges, "bytes": size}
            results.append(result)
    return results


async def http_case(
    name: str,
    *,
    server: ClewServer,
    query: str,
    variables: Callable[[int], dict[str, Any]],
    runs: int,
    target_ms: float,
    check: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Result:
    notes: dict[str, Any] = {}
    async with server.client() as client:

        async def clew(i: int) -> None:
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables(i)}
            )
            body = response.json()
            if body.get("errors"):
                raise RuntimeError(f"{name}: {body['errors']}")
            if check:
                notes.update(check(body["data"]))

        cpu = server.memory.cpu_seconds()
        a, _ = await interleaved(clew, None, runs)
        # Load-independent: what one request costs the server (the warm-up run included).
        notes["server_cpu_ms"] = round((server.memory.cpu_seconds() - cpu) * 1000 / (runs + 1), 1)
    result = Result(name, "ms", a, target=f"p95 under {target_ms:g} ms", notes=notes)
    result.ok = p95(a) < target_ms
    return result


# ---------------------------------------------------------------- the review queue

REVIEW_PAGE = """query ($level: LineageLevel, $after: String) {
  reviewQueue(level: $level, first: 50, after: $after) {
    edges { id confidence } pageInfo { hasNextPage endCursor } } }"""
REVIEW_COUNTS = """query { reviewQueue(first: 50) {
  totalCount tableEdgeCount fieldEdgeCount edges { id confidence } pageInfo { hasNextPage } } }"""


async def review_queue(*, server: ClewServer, runs: int, small_queue: int) -> list[Result]:
    """A first page of the whole queue against a first page of the `small_queue` pending table
    edges (`level: TABLE`) in the same database: with an index serving the filter and the
    order, both cost what one page costs. Then the counts, and a page ten pages in."""
    notes: dict[str, Any] = {}
    async with server.client() as client:

        async def ask(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            body = response.json()
            if body.get("errors"):
                raise RuntimeError(f"reviewQueue: {body['errors']}")
            return body["data"]["reviewQueue"]

        async def whole(_: int) -> None:
            await ask(REVIEW_PAGE, {})

        async def small(_: int) -> None:
            await ask(REVIEW_PAGE, {"level": "TABLE"})

        async def counts(_: int) -> None:
            got = await ask(REVIEW_COUNTS, {})
            notes["total"] = got["totalCount"]

        cursor: str | None = None
        for _ in range(10):
            cursor = (await ask(REVIEW_PAGE, {"after": cursor}))["pageInfo"]["endCursor"]

        async def deep(_: int) -> None:
            await ask(REVIEW_PAGE, {"after": cursor})

        a, b = await interleaved(whole, small, runs)
        d, _ = await interleaved(deep, None, runs)
        c, _ = await interleaved(counts, None, runs)
    total = notes.get("total", 0)
    first = Result(
        f"reviewQueue first page, {total:,} pending (raw: the {small_queue:,}-edge queue "
        "of pending table edges, same database)",
        "ms",
        a,
        b,
        target="at most 1.5x the small queue",
    )
    first.ok = (first.ratio or 0) <= 1.5
    with_counts = Result(
        f"reviewQueue first page and counts, {total:,} pending",
        "ms",
        c,
        target="p95 under 200 ms",
    )
    with_counts.ok = p95(c) < 200
    eleventh = Result(
        f"reviewQueue 11th page (after a cursor), {total:,} pending",
        "ms",
        d,
        target="p95 under 200 ms",
    )
    eleventh.ok = p95(d) < 200
    return [first, with_counts, eleventh]


# ---------------------------------------------------------------- the small query, concurrent

SMALL = "query ($id: ID!) { table(id: $id) { name fields { name dataType } } }"
RAW_SMALL_ONE = """
MATCH (t:Table {id: $id})
RETURN t.name AS name,
       COLLECT { MATCH (t)-[:HAS_FIELD]->(f:Field) RETURN f {.name, .data_type}
                 ORDER BY f.ordinal_position } AS fields
"""


async def _concurrently(
    work: Callable[[int], Awaitable[None]], *, clients: int, seconds: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        i = w
        while time.perf_counter() < stop:
            started = time.perf_counter()
            await work(i)
            latencies.append((time.perf_counter() - started) * 1000)
            i += clients

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(clients)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def small_query(
    *,
    server: ClewServer,
    store: Store,
    driver: AsyncDriver,
    ids: list[str],
    clients: int,
    seconds: float,
    rounds: int,
) -> list[Result]:
    registry = store.cypher
    # The three statements Clew sent for this query until it loaded a table with its fields
    # in one (it now sends two: the signed-in user, then tables/get_with_fields); kept as a
    # second, gentler ceiling beside the one statement.
    three = [
        (registry["users/token_owner"], lambda i: {"digest": f"bench-{i}"}),
        (registry["tables/get_by_ids"], lambda i: {"ids": [ids[i % len(ids)]]}),
        (registry["fields/by_tables"], lambda i: {"table_ids": [ids[i % len(ids)]]}),
    ]
    rates: dict[str, list[float]] = {"clew": [], "three": [], "one": []}
    cpu = 0.0
    served = 0
    latencies: dict[str, list[float]] = {"clew": [], "three": [], "one": []}
    async with server.client(clients) as client:

        async def clew(i: int) -> None:
            response = await client.post(
                "/graphql", json={"query": SMALL, "variables": {"id": ids[i % len(ids)]}}
            )
            if response.status_code != 200 or "errors" in response.json():
                raise RuntimeError(f"small query failed: {response.text[:300]}")

        # The fastest way the driver reads: an auto-commit statement, one round trip (a
        # managed transaction, execute_query's way, takes two).
        async def read(statement: str, params: dict[str, Any]) -> None:
            async with driver.session(default_access_mode=READ_ACCESS) as session:
                await (await session.run(statement, params)).to_eager_result()

        async def raw_three(i: int) -> None:
            for statement, params in three:
                await read(statement, params(i))

        async def raw_one(i: int) -> None:
            await read(RAW_SMALL_ONE, {"id": ids[i % len(ids)]})

        for work in (clew, raw_three, raw_one):  # warm-up
            await _concurrently(work, clients=clients, seconds=1)
        for _ in range(rounds):
            for key, work in (("clew", clew), ("three", raw_three), ("one", raw_one)):
                before = server.memory.cpu_seconds()
                rate, lat = await _concurrently(work, clients=clients, seconds=seconds)
                if key == "clew":
                    cpu += server.memory.cpu_seconds() - before
                    served += len(lat)
                rates[key].append(rate)
                latencies[key].extend(lat)
    vs_one = Result(
        f"table(id) {{ name fields {{ name dataType }} }}, {clients} clients",
        "req/s",
        rates["clew"],
        rates["one"],
        target="at least 0.5x of one statement; p95 under 200 ms",
    )
    clew_p95 = p95(latencies["clew"])
    vs_one.ok = (vs_one.ratio or 0) >= 0.5 and clew_p95 < 200
    vs_one.notes = {
        "clew_p95_ms": clew_p95,
        # Load-independent: what one request costs the server, whatever else runs.
        "server_cpu_ms_per_request": cpu * 1000 / max(served, 1),
        "raw_one_p95_ms": p95(latencies["one"]),
        "raw_three_statements_req_s": statistics.median(rates["three"]),
        "raw_three_p95_ms": p95(latencies["three"]),
        "ratio_vs_three_statements": statistics.median(rates["clew"])
        / statistics.median(rates["three"]),
    }
    return [vs_one]


# ---------------------------------------------------------------- import

RAW_IMPORT = {
    "tables": """
UNWIND $rows AS row
CREATE (:Table {id: row.schema + '.' + row.name, name: row.name, name_lower: toLower(row.name),
                schema: row.schema,
                qualified_name: row.schema + '.' + row.name, kind: row.kind,
                description: row.description, tags: [row.tags], source_key: 'manual',
                search_text: row.name, created_at: datetime(), updated_at: datetime()})
""",
    "fields": """
UNWIND $rows AS row
MATCH (t:Table {id: row.schema + '.' + row.table})
CREATE (t)-[:HAS_FIELD]->(:Field {id: t.id + '.' + row.name, table_id: t.id, name: row.name,
        data_type: row.data_type, nullable: row.nullable = 'TRUE',
        ordinal_position: toInteger(row.ordinal_position), search_text: row.name,
        created_at: datetime(), updated_at: datetime()})
""",
    "field_lineage": """
UNWIND $rows AS row
MATCH (a:Field {id: row.upstream_schema + '.' + row.upstream_table + '.' + row.upstream_field})
MATCH (b:Field {id: row.downstream_schema + '.' + row.downstream_table + '.'
                    + row.downstream_field})
CREATE (a)-[:FLOWS_TO {id: randomUUID(), level: 'FIELD', lineage_source: row.lineage_source,
                       confidence: toFloat(row.confidence),
                       transformation_type: row.transformation_type,
                       review_state: 'NOT_REQUIRED', explicit: true, created_by: 'raw',
                       created_at: datetime(), updated_at: datetime()}]->(b)
""",
}


async def import_case(
    *, store: Store, driver: AsyncDriver, rows: int, runs: int, tag: str
) -> Result:
    from graph_api.services.imports import ImportMode, ImportOptions, ImportService

    shape = ImportShape.for_rows(rows)
    workdir = Path(tempfile.mkdtemp(prefix="clew-bench-"))
    clew_rates: list[float] = []
    raw_rates: list[float] = []
    outcome = ""
    total = 0
    for run in range(runs):
        path = workdir / f"import-{run}.zip"
        total = shape.write_csv_zip(path, f"imp_{tag}_{rows}_{run}")
        service = ImportService(store, actor="bench")
        started = time.perf_counter()
        job = await service.run(
            path=path,
            file_name=path.name,
            options=ImportOptions(mode=ImportMode.ALL_OR_NOTHING, dry_run=False, batch_size=1000),
        )
        clew_rates.append(total / (time.perf_counter() - started))
        outcome = job.status.value + (f" ({job.failure})" if job.failure else "")
        path.unlink()

        sections = shape.sections(f"raw_{tag}_{rows}_{run}")
        started = time.perf_counter()
        async with driver.session() as session, await session.begin_transaction() as tx:
            for name, (header, generator) in sections.items():
                batch: list[dict[str, Any]] = []
                for row in generator:
                    batch.append(dict(zip(header, row, strict=True)))
                    if len(batch) == 1000:
                        await (await tx.run(RAW_IMPORT[name], rows=batch)).consume()
                        batch = []
                if batch:
                    await (await tx.run(RAW_IMPORT[name], rows=batch)).consume()
            await tx.commit()
        raw_rates.append(total / (time.perf_counter() - started))
    result = Result(
        f"{total:,}-row all-or-nothing import",
        "rows/s",
        clew_rates,
        raw_rates,
        target="at least 0.5x raw",
        notes={"job": outcome, "rows": total, "seconds": total / statistics.median(clew_rates)},
    )
    result.ok = (result.ratio or 0) >= 0.5
    return result


# ---------------------------------------------------------------- statements per nested query

# maxNodes 1: at 1,000 tables the lineage budget (page size x 50 fields x maxNodes, at most
# CLEW_LINEAGE_MAX_NODES x 10) refuses more; the statements do not depend on it.
NESTED = """
query ($n: Int!) {
  tables(first: $n, tags: ["fanout"]) {
    nodes { name fields { name
      upstream(depth: 3, maxNodes: 1) { hops { distance field { name } } } } }
  }
}
"""


async def nested_statements(*, store: Store, settings: Any, fan_outs: list[int]) -> Result:
    from graph_api.auth.roles import Principal, Role
    from graph_api.context import Connection, Context, Services
    from graph_api.schema import schema

    services = Services.create(settings, store)
    counts: dict[int, int] = {}
    timings: list[float] = []
    for n in fan_outs:
        context = Context(services, Connection(principal=Principal("bench", "bench", Role.ADMIN)))
        before = store.statements_sent
        started = time.perf_counter()
        result = await schema.execute(NESTED, variable_values={"n": n}, context_value=context)
        timings.append((time.perf_counter() - started) * 1000)
        if result.errors:
            raise RuntimeError(f"nested query: {result.errors}")
        got = len(result.data["tables"]["nodes"]) if result.data else 0
        counts[n] = store.statements_sent - before
        if got != n:
            raise RuntimeError(f"nested query returned {got} tables, wanted {n}")
    res = Result(
        "statements per `tables { fields { upstream } }`",
        "ms",
        timings,
        target="equal statement counts at every fan-out",
        notes={f"statements_at_{n}": c for n, c in counts.items()},
    )
    res.ok = len(set(counts.values())) == 1
    return res
