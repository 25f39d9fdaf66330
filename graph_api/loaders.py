"""Per-request DataLoaders over the repositories' batch reads.

Each loader turns all the keys a query asks for in one tick into one Cypher statement, so a
query over N tables and their fields costs a constant number of statements. Loaders cache
for one request only: a new set is made for every request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from aiodataloader import DataLoader

from graph_api.models import (
    AssertionRecord,
    Direction,
    Field,
    LineageEdge,
    LineageLevel,
    OriginRecord,
    Source,
    Table,
)
from graph_api.store.client import Store
from graph_api.store.fields import FieldRepository
from graph_api.store.lineage import LineageRepository, TraversalFilter
from graph_api.store.origins import OriginRepository
from graph_api.store.scans import ScanRepository
from graph_api.store.sources import SourceRepository
from graph_api.store.tables import TableRepository
from graph_api.store.traversal import Traversal, traverse

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Source.tables shows at most this many tables; the paginated `tables(sourceId:)` has the rest.
SOURCE_TABLES_LIMIT = 1000


def _loader(
    fetch: Callable[[list[K]], Awaitable[dict[K, V]]], *, missing: V | None = None
) -> DataLoader:
    async def batch(keys: list[K]) -> list[V | None]:
        found = await fetch(list(dict.fromkeys(keys)))
        return [found.get(key, missing) for key in keys]

    # max_batch_size bounds the size of one UNWIND list.
    return DataLoader(batch, max_batch_size=5000)


@dataclass(frozen=True)
class LineageKey:
    root_id: str
    level: LineageLevel
    direction: Direction
    depth: int
    traversal: TraversalFilter
    max_nodes: int


def _lineage_loader(repo: LineageRepository) -> DataLoader:
    """Traverses every requested root with the same settings together, so a table's fields'
    upstream lineage costs `depth` statements, not `depth` per field."""

    async def batch(keys: list[LineageKey]) -> list[Traversal]:
        groups: dict[tuple[object, ...], list[LineageKey]] = {}
        for key in keys:
            settings = (key.level, key.direction, key.depth, key.traversal, key.max_nodes)
            groups.setdefault(settings, []).append(key)
        found: dict[LineageKey, Traversal] = {}
        for (level, direction, depth, traversal, max_nodes), group in groups.items():
            results = await traverse(
                repo,
                level=level,  # type: ignore[arg-type]
                starts={key.root_id: [key.root_id] for key in group},
                direction=direction,  # type: ignore[arg-type]
                depth=depth,  # type: ignore[arg-type]
                traversal=traversal,  # type: ignore[arg-type]
                max_nodes=max_nodes,  # type: ignore[arg-type]
            )
            for key in group:
                found[key] = results[key.root_id]
        return [found[key] for key in keys]

    return DataLoader(batch, max_batch_size=5000)


@dataclass(frozen=True)
class Loaders:
    source: DataLoader  # id -> Source | None
    table: DataLoader  # id -> Table | None
    table_with_fields: DataLoader  # id -> (Table, list[Field]) | None
    field: DataLoader  # id -> Field | None
    fields_of_table: DataLoader  # table id -> list[Field]
    tables_of_source: DataLoader  # source id -> list[Table]
    lineage_edge: DataLoader  # id -> LineageEdge | None
    lineage: DataLoader  # LineageKey -> Traversal
    origin: DataLoader  # id -> OriginRecord | None
    origin_counts: DataLoader  # origin id -> (edges asserted, of them pending)
    assertions_of_edge: DataLoader  # edge id -> list[(AssertionRecord, OriginRecord)]
    last_scan: DataLoader  # source id -> the record of its newest scan job | None

    @classmethod
    def create(cls, store: Store) -> Loaders:
        sources = SourceRepository(store)
        tables = TableRepository(store)
        fields = FieldRepository(store)
        lineage = LineageRepository(store)
        origins = OriginRepository(store)
        scans = ScanRepository(store)

        async def tables_of(ids: list[str]) -> dict[str, list[Table]]:
            return await tables.by_sources(ids, limit=SOURCE_TABLES_LIMIT)

        return cls(
            source=_loader(sources.get_many),
            table=_loader(tables.get_many),
            table_with_fields=_loader(tables.get_many_with_fields),
            field=_loader(fields.get_many),
            fields_of_table=_loader(fields.by_tables, missing=list[Field]()),
            tables_of_source=_loader(tables_of, missing=list[Table]()),
            lineage_edge=_loader(lineage.get_many),
            lineage=_lineage_loader(lineage),
            origin=_loader(origins.get_many),
            origin_counts=_loader(origins.counts, missing=(0, 0)),
            assertions_of_edge=_loader(
                origins.by_edges, missing=list[tuple[AssertionRecord, OriginRecord]]()
            ),
            last_scan=_loader(scans.last_jobs),
        )

    def prime_tables(self, tables: list[Table]) -> None:
        for table in tables:
            self.table.prime(table.id, table)

    async def table_and_fields(self, table_id: str) -> Table | None:
        """The table, its fields loaded in the same statement and primed for `fields`."""
        found = await self.table_with_fields.load(table_id)
        if found is None:
            return None
        table, fields = found
        self.table.prime(table.id, table)
        self.fields_of_table.prime(table.id, fields)
        self.prime_fields(fields)
        return table

    def prime_fields(self, fields: list[Field]) -> None:
        for f in fields:
            self.field.prime(f.id, f)

    def prime_edges(self, edges: list[LineageEdge]) -> None:
        for edge in edges:
            self.lineage_edge.prime(edge.id, edge)

    def prime_sources(self, sources: list[Source]) -> None:
        for source in sources:
            self.source.prime(source.id, source)
