"""What the planner reads from the catalog: batched, in rounds.

A row asks `Lookups.get(kind, key)`. A value read in an earlier round comes back at once; a
value not yet read is noted as wanted and the row is told so (`Missing`), and once every row
of the batch has been tried, `fetch()` reads everything wanted in one statement per kind. A
batch of a thousand rows thus costs a handful of statements. `peek()` reads what is there
without asking for more (for labels in messages).

Why a signal and not awaited futures: a row planner is plain code that is simply run again
once the batch's reads are in. Awaiting futures instead would make every resolver async and
interleave the rows of a batch, and the final round must decide rows one by one in file
order (a row may name what an earlier row of the same file creates).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Protocol

from graph_api.models import LineageLevel

Record = dict[str, Any]
# How many names of the catalog a "did you mean" suggestion picks from.
SUGGESTION_POOL = 5000


class CatalogReader(Protocol):
    """Batched reads of the catalog, as the planner needs them (see store/interchange.py)."""

    async def sources(self, *, ids: list[str], names: list[str]) -> list[Record]: ...
    async def tables(self, *, ids: list[str], keys: list[tuple[str, str]]) -> list[Record]: ...
    async def fields(self, *, ids: list[str], keys: list[tuple[str, str]]) -> list[Record]: ...
    async def edges(
        self, level: LineageLevel, *, ids: list[str], pairs: list[tuple[str, str]]
    ) -> tuple[list[Record], list[Record]]: ...
    async def ids_in_use(self, ids: list[str]) -> dict[str, str]: ...
    async def source_names(self, *, limit: int) -> list[str]: ...
    async def table_names(self, source_keys: list[str], *, limit: int) -> dict[str, list[str]]: ...
    async def field_names(self, table_ids: list[str]) -> dict[str, list[str]]: ...
    async def last_ordinals(self, table_ids: list[str]) -> dict[str, int]: ...


class Missing(Exception):
    """A catalog read this row needs is not done yet; the batch reads it and tries again."""


# Sources are few and every section looks them up: they are kept for the whole import.
_KEPT = ("source_name", "source_id", "source_names")


class Lookups:
    def __init__(self, catalog: CatalogReader, source_names: dict[str, str]) -> None:
        self.catalog = catalog
        # Filled with every source read (source id -> name), for labels in messages.
        self.source_names = source_names
        self._read: dict[str, dict[Hashable, Any]] = {}
        self._wanted: dict[str, set[Hashable]] = {}
        self._readers: dict[str, Callable[[], Awaitable[None]]] = {
            "source_name": self._sources,
            "source_id": self._sources,
            "table_key": self._tables,
            "table_id": self._tables,
            "field_key": self._fields,
            "field_id": self._fields,
            "edge_TABLE": self._edges,
            "edge_FIELD": self._edges,
            "id_in_use": self._ids_in_use,
            "table_names": self._table_names,
            "field_names": self._field_names,
            "ordinal": self._ordinals,
            "source_names": self._all_source_names,
        }

    def get(self, kind: str, key: Hashable) -> Any:
        """The value read for `key` (None: the catalog has none), or `Missing`."""
        read = self._read.setdefault(kind, {})
        if key in read:
            return read[key]
        self._wanted.setdefault(kind, set()).add(key)
        raise Missing()

    def peek(self, kind: str, key: Hashable) -> Any:
        return self._read.get(kind, {}).get(key)

    @property
    def wanted(self) -> bool:
        return any(self._wanted.values())

    def new_round(self) -> None:
        self._wanted = {}

    def new_batch(self) -> None:
        for kind in list(self._read):
            if kind not in _KEPT:
                del self._read[kind]

    async def fetch(self) -> None:
        """Read everything the last round wanted, one statement per kind."""
        done: set[Callable[[], Awaitable[None]]] = set()
        for kind in list(self._wanted):
            reader = self._readers[kind]
            if reader not in done:
                done.add(reader)
                await reader()

    def _keys(self, *kinds: str) -> list[list[Any]]:
        return [sorted(self._wanted.get(k, set()), key=repr) for k in kinds]

    def _store(self, kind: str, keys: list[Any], found: dict[Any, Any], default: Any) -> None:
        read = self._read.setdefault(kind, {})
        for key in keys:
            read[key] = found.get(key, default)

    async def _sources(self) -> None:
        names, ids = self._keys("source_name", "source_id")
        rows = await self.catalog.sources(ids=ids, names=names)
        self._store("source_name", names, {r["name"]: r for r in rows}, None)
        self._store("source_id", ids, {r["id"]: r for r in rows}, None)
        for rec in rows:
            self._read["source_name"][rec["name"]] = rec
            self._read["source_id"][rec["id"]] = rec
            self.source_names[rec["id"]] = rec["name"]

    async def _tables(self) -> None:
        keys, ids = self._keys("table_key", "table_id")
        rows = await self.catalog.tables(ids=ids, keys=keys)
        self._store("table_key", keys, {}, None)
        self._store("table_id", ids, {}, None)
        for rec in rows:
            self._read["table_key"][(rec["source_key"], rec["qualified_name"])] = rec
            self._read["table_id"][rec["id"]] = rec

    async def _fields(self) -> None:
        keys, ids = self._keys("field_key", "field_id")
        rows = await self.catalog.fields(ids=ids, keys=keys)
        self._store("field_key", keys, {}, None)
        self._store("field_id", ids, {}, None)
        for rec in rows:
            self._read["field_key"][(rec["table_id"], rec["name"])] = rec
            self._read["field_id"][rec["id"]] = rec

    async def _edges(self) -> None:
        for level in LineageLevel:
            kind = f"edge_{level.name}"
            (wanted,) = self._keys(kind)
            if not wanted:
                continue
            ids = [k[1] for k in wanted if k[0] == "id"]
            pairs = [(k[1], k[2]) for k in wanted if k[0] == "pair"]
            by_id, by_pair = await self.catalog.edges(level, ids=ids, pairs=pairs)
            found: dict[Any, Record] = {("id", r["id"]): r for r in by_id}
            found.update({("pair", r["upstream_id"], r["downstream_id"]): r for r in by_pair})
            self._store(kind, wanted, found, None)

    async def _ids_in_use(self) -> None:
        (ids,) = self._keys("id_in_use")
        self._store("id_in_use", ids, await self.catalog.ids_in_use(ids), None)

    async def _table_names(self) -> None:
        (keys,) = self._keys("table_names")
        found = await self.catalog.table_names(keys, limit=SUGGESTION_POOL)
        self._store("table_names", keys, found, [])

    async def _field_names(self) -> None:
        (ids,) = self._keys("field_names")
        self._store("field_names", ids, await self.catalog.field_names(ids), [])

    async def _ordinals(self) -> None:
        (ids,) = self._keys("ordinal")
        found = await self.catalog.last_ordinals(ids)
        self._store("ordinal", ids, {i: found.get(i) or 0 for i in ids}, 0)

    async def _all_source_names(self) -> None:
        names = await self.catalog.source_names(limit=SUGGESTION_POOL)
        self._read.setdefault("source_names", {})[None] = names
