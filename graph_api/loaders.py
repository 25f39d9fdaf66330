"""Per-request DataLoaders over the repositories' batch reads.

Each loader turns all the keys a query asks for in one tick into one Cypher statement, so a
query over N tables and their fields costs a constant number of statements. Loaders cache
for one request only: a new set is made for every request.
"""

from __future__ import annotations

import functools
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


class Loaders:
    """One operation's loaders, each made on first use: an operation uses two or three of
    them, and making all twelve took a good part of a small request's CPU."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @classmethod
    def create(cls, store: Store) -> Loaders:
        return cls(store)

    @functools.cached_property
    def source(self) -> DataLoader:  # id -> Source | None
        return _loader(SourceRepository(self._store).get_many)

    @functools.cached_property
    def table(self) -> DataLoader:  # id -> Table | None
        return _loader(TableRepository(self._store).get_many)

    @functools.cached_property
    def table_with_fields(self) -> DataLoader:  # (id, with timestamps) -> (Table, [Field]) | None
        tables = TableRepository(self._store)

        async def with_fields(
            keys: list[tuple[str, bool]],
        ) -> dict[tuple[str, bool], tuple[Table, list[Field]]]:
            found: dict[tuple[str, bool], tuple[Table, list[Field]]] = {}
            for timestamps in {t for _, t in keys}:  # one operation asks one way
                ids = [i for i, t in keys if t is timestamps]
                rows = await tables.get_many_with_fields(ids, timestamps=timestamps)
                found.update({(i, timestamps): row for i, row in rows.items()})
            return found

        return _loader(with_fields)

    @functools.cached_property
    def field(self) -> DataLoader:  # id -> Field | None
        return _loader(FieldRepository(self._store).get_many)

    @functools.cached_property
    def fields_of_table(self) -> DataLoader:  # table id -> list[Field]
        return _loader(FieldRepository(self._store).by_tables, missing=list[Field]())

    @functools.cached_property
    def tables_of_source(self) -> DataLoader:  # source id -> list[Table]
        tables = TableRepository(self._store)

        async def tables_of(ids: list[str]) -> dict[str, list[Table]]:
            return await tables.by_sources(ids, limit=SOURCE_TABLES_LIMIT)

        return _loader(tables_of, missing=list[Table]())

    @functools.cached_property
    def lineage_edge(self) -> DataLoader:  # id -> LineageEdge | None
        return _loader(LineageRepository(self._store).get_many)

    @functools.cached_property
    def lineage(self) -> DataLoader:  # LineageKey -> Traversal
        return _lineage_loader(LineageRepository(self._store))

    @functools.cached_property
    def origin(self) -> DataLoader:  # id -> OriginRecord | None
        return _loader(OriginRepository(self._store).get_many)

    @functools.cached_property
    def origin_counts(self) -> DataLoader:  # origin id -> (edges asserted, of them pending)
        return _loader(OriginRepository(self._store).counts, missing=(0, 0))

    @functools.cached_property
    def assertions_of_edge(self) -> DataLoader:  # edge id -> [(AssertionRecord, OriginRecord)]
        return _loader(
            OriginRepository(self._store).by_edges,
            missing=list[tuple[AssertionRecord, OriginRecord]](),
        )

    @functools.cached_property
    def last_scan(self) -> DataLoader:  # source id -> the record of its newest scan job | None
        return _loader(ScanRepository(self._store).last_jobs)

    def prime_tables(self, tables: list[Table]) -> None:
        for table in tables:
            self.table.prime(table.id, table)

    async def table_and_fields(self, table_id: str, *, timestamps: bool = True) -> Table | None:
        """The table, its fields loaded in the same statement and primed for `fields`.
        Without `timestamps` (an operation that asks for none), they are primed without:
        these loaders live as long as the operation, which never reads them."""
        found = await self.table_with_fields.load((table_id, timestamps))
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
