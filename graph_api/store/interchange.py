"""Bulk import and export in Neo4j: batched lookups for the planner, batched writes (one UNWIND
per batch and kind), import jobs, and the export's keyset-paginated reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graph_api.models import LineageLevel
from graph_api.store import review_counts
from graph_api.store.client import Store, Tx
from graph_api.store.jobs import JobRecords
from graph_api.store.lineage import LineageRepository
from graph_api.store.tables import with_name_keys
from graph_api.store.text_search import search_words

Row = dict[str, Any]


def _searchable(rows: list[Row], source: str) -> list[Row]:
    """Keep a field's `search_text` (the words inside its name, for full-text search) in step,
    as the field repository does on every create and rename."""
    return [
        {**row, "props": {**row["props"], "search_text": search_words(row["props"][source])}}
        if source in row["props"]
        else row
        for row in rows
    ]


def _table_keys(rows: list[Row]) -> list[Row]:
    """A table's search words and lower-case name, as the table repository keeps them."""
    return [{**row, "props": with_name_keys(row["props"])} for row in rows]


def _forget(params: dict[str, Any]) -> None:
    """Empties the lists a statement was sent. The driver keeps every statement's parameters
    (the dict copied, its values not) until the transaction ends; an import's transaction
    sends every batch of the file, so without this the importing process would hold the
    whole file's rows until it commits. A retried transaction builds its batches anew."""
    for value in params.values():
        if isinstance(value, list):
            value.clear()


async def _write(tx: Tx, statement: str, rows: list[Row], /, **params: Any) -> list[Row]:
    sent = {"rows": list(rows), **params}
    try:
        return await tx.run(statement, **sent)
    finally:
        _forget(sent)


class CatalogLookups:
    """The planner's view of the catalog (`interchange.plan.CatalogReader`): reads either in the
    import's own write transaction (so later batches see earlier ones) or, for a preview,
    as separate read queries."""

    def __init__(self, store: Store, tx: Tx | None = None) -> None:
        self._store = store
        self._tx = tx
        self.statements = 0

    async def _read(self, statement: str, /, **params: Any) -> list[Row]:
        self.statements += 1
        slots = params.pop("slots", None)
        if self._tx is None:
            return await self._store.read(statement, slots=slots, **params)
        # Copies, emptied once read (see _forget): the planner keeps using its own lists.
        sent = {k: list(v) if isinstance(v, list) else v for k, v in params.items()}
        try:
            return await self._tx.run(statement, slots=slots, **sent)
        finally:
            _forget(sent)

    async def sources(self, *, ids: list[str], names: list[str]) -> list[Row]:
        if not ids and not names:
            return []
        rows = await self._read("interchange/lookup_sources", ids=ids, names=names)
        return [r["source"] for r in rows]

    async def tables(self, *, ids: list[str], keys: list[tuple[str, str]]) -> list[Row]:
        if not ids and not keys:
            return []
        rows = await self._read(
            "interchange/lookup_tables",
            ids=ids,
            keys=[{"source_key": k[0], "qualified_name": k[1]} for k in keys],
        )
        return [r["table"] for r in rows]

    async def fields(self, *, ids: list[str], keys: list[tuple[str, str]]) -> list[Row]:
        if not ids and not keys:
            return []
        rows = await self._read(
            "interchange/lookup_fields",
            ids=ids,
            keys=[{"table_id": k[0], "name": k[1]} for k in keys],
        )
        return [r["field"] for r in rows]

    async def edges(
        self, level: LineageLevel, *, ids: list[str], pairs: list[tuple[str, str]]
    ) -> tuple[list[Row], list[Row]]:
        by_id = (
            [r["edge"] for r in await self._read("interchange/lookup_edges_by_id", ids=ids)]
            if ids
            else []
        )
        by_pair = (
            [
                r["edge"]
                for r in await self._read(
                    "interchange/lookup_edges_by_pair",
                    slots={"node": level},
                    pairs=[{"upstream_id": u, "downstream_id": d} for u, d in pairs],
                )
            ]
            if pairs
            else []
        )
        return by_id, by_pair

    async def ids_in_use(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = await self._read("interchange/ids_in_use", ids=ids)
        return {r["id"]: r["kind"] for r in rows}

    async def source_names(self, *, limit: int) -> list[str]:
        return [r["name"] for r in await self._read("interchange/source_names", limit=limit)]

    async def table_names(self, source_keys: list[str], *, limit: int) -> dict[str, list[str]]:
        rows = await self._read("interchange/table_names", source_keys=source_keys, limit=limit)
        return {r["source_key"]: r["names"] for r in rows}

    async def field_names(self, table_ids: list[str]) -> dict[str, list[str]]:
        rows = await self._read("interchange/field_names", table_ids=table_ids)
        return {r["table_id"]: r["names"] for r in rows}

    async def last_ordinals(self, table_ids: list[str]) -> dict[str, int]:
        rows = await self._read("interchange/last_ordinals", table_ids=table_ids)
        return {r["table_id"]: r["last_ordinal"] or 0 for r in rows}


class InterchangeRepository(JobRecords):
    domain = "interchange"

    # Writes, one statement per batch and kind

    async def create_sources(self, tx: Tx, rows: list[Row]) -> None:
        if rows:
            await _write(tx, "interchange/create_sources", rows)

    async def update_sources(self, tx: Tx, rows: list[Row]) -> None:
        if rows:
            await _write(tx, "interchange/update_sources", rows)

    async def create_tables(self, tx: Tx, rows: list[Row]) -> None:
        if rows:
            await _write(tx, "interchange/create_tables", _table_keys(rows))

    async def update_tables(self, tx: Tx, rows: list[Row]) -> None:
        if rows:
            await _write(tx, "interchange/update_tables", _table_keys(rows))

    async def create_fields(self, tx: Tx, rows: list[Row]) -> None:
        """Rows of `id`, `table_id` and `props`; sent grouped by table, nulls left out (a
        property set to null is no property): fewer lookups, and less for the driver to pack."""
        if not rows:
            return
        by_table: dict[str, list[Row]] = {}
        for row in _searchable(rows, "name"):
            props = {k: v for k, v in row["props"].items() if v is not None}
            by_table.setdefault(row["table_id"], []).append({"id": row["id"], "props": props})
        grouped = [{"table_id": t, "fields": fields} for t, fields in by_table.items()]
        await _write(tx, "interchange/create_fields", grouped)

    async def update_fields(self, tx: Tx, rows: list[Row]) -> None:
        if rows:
            await _write(tx, "interchange/update_fields", _searchable(rows, "name"))

    async def create_edges(self, tx: Tx, level: LineageLevel, rows: list[Row]) -> int:
        """How many were created: fewer than given when another writer got there first."""
        if not rows:
            return 0
        await LineageRepository(self._store).lock(
            tx, level, [i for row in rows for i in (row["upstream_id"], row["downstream_id"])]
        )
        result = await _write(tx, "interchange/create_edges", rows, slots={"node": level})
        review_counts.note(tx, after=result[0]["edges"])
        return int(result[0]["created"])

    async def update_edges(self, tx: Tx, rows: list[Row]) -> None:
        if rows:
            [result] = await _write(tx, "interchange/update_edges", rows)
            review_counts.note(tx, before=result["before"], after=result["after"])

    # Jobs

    async def prune_jobs(self, *, older_than_days: int) -> int:
        rows = await self._store.write("interchange/job_prune", days=older_than_days)
        return int(rows[0]["pruned"])

    # Export: keyset pages, so memory stays flat whatever the catalog's size

    async def resolve_sources(self, refs: list[str]) -> dict[str, str]:
        rows = await self._store.read("interchange/resolve_sources", refs=refs)
        return {r["ref"]: r["id"] for r in rows}

    async def export_sources(
        self, filters: dict[str, Any], *, page: int
    ) -> AsyncIterator[list[Row]]:
        after = None
        while True:
            rows = await self._store.read(
                "interchange/export_sources",
                source_ids=filters["source_keys"],
                tags=filters["tags"],
                tables=filters["tables"],
                table_filter=bool(filters["tags"]) or filters["tables"] is not None,
                after=after,
                limit=page,
            )
            if rows:
                yield [r["source"] for r in rows]
            if len(rows) < page:
                return
            after = rows[-1]["source"]["name"]

    async def export_tables(
        self, filters: dict[str, Any], *, page: int
    ) -> AsyncIterator[list[Row]]:
        after_name = after_id = None
        while True:
            rows = await self._store.read(
                "interchange/export_tables",
                **filters,
                after_name=after_name,
                after_id=after_id,
                limit=page,
            )
            if rows:
                yield rows
            if len(rows) < page:
                return
            after_name, after_id = rows[-1]["table"]["qualified_name"], rows[-1]["table"]["id"]

    async def export_fields(
        self, filters: dict[str, Any], *, page: int
    ) -> AsyncIterator[list[Row]]:
        """Pages of `page` fields (not tables: one table may have thousands of fields)."""
        after: dict[str, Any] = {
            "after_name": None,
            "after_id": None,
            "after_ordinal": None,
            "after_field": None,
        }
        while True:
            rows = await self._store.read(
                "interchange/export_fields", **filters, **after, limit=page
            )
            if rows:
                yield rows
            if len(rows) < page:
                return
            last = rows[-1]
            after = {
                "after_name": last["qualified_name"],
                "after_id": last["table_id"],
                "after_ordinal": last["ordinal"],
                "after_field": last["field"]["name"],
            }

    async def export_lineage(
        self, level: LineageLevel, filters: dict[str, Any], *, page: int
    ) -> AsyncIterator[list[Row]]:
        statement = (
            "interchange/export_table_lineage"
            if level is LineageLevel.TABLE
            else "interchange/export_field_lineage"
        )
        filtered = (
            filters["source_keys"] is not None
            or bool(filters["tags"])
            or filters["tables"] is not None
        )
        after = None
        while True:
            rows = await self._store.read(
                statement, **filters, filtered=filtered, after=after, limit=page
            )
            if rows:
                yield rows
            if len(rows) < page:
                return
            after = rows[-1]["edge"]["id"]
