"""Tables in Neo4j."""

from __future__ import annotations

from typing import Any

from neo4j.exceptions import ConstraintError

from graph_api.errors import ConflictError
from graph_api.models import MANUAL_SOURCE_KEY, Field, Page, Table, TableKind
from graph_api.store import review_counts
from graph_api.store.client import Store, Tx
from graph_api.store.pagination import decode_cursor
from graph_api.store.text_search import lucene_query, search_words


def _duplicate(
    qualified_name: str, source_id: str | None, *, field: str = "table.name"
) -> ConflictError:
    where = f"source {source_id}" if source_id else "the manually documented tables"
    return ConflictError(
        f"A table named '{qualified_name}' already exists in {where}; choose another name "
        "or schema, or update the existing table.",
        field=field,
    )


def with_name_keys(props: dict[str, Any]) -> dict[str, Any]:
    """What the store keeps beside a table's names on every create and rename: the words
    inside them (`search_text`, for full-text search) and the name in lower case
    (`name_lower`, indexed: SQL lineage finds tables by name without regard to case)."""
    keys: dict[str, Any] = {}
    if "qualified_name" in props:
        keys["search_text"] = search_words(props["qualified_name"])
    if props.get("name") is not None:
        keys["name_lower"] = str(props["name"]).lower()
    return {**props, **keys} if keys else props


class TableRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def get_many(self, ids: list[str], tx: Tx | None = None) -> dict[str, Table]:
        rows = (
            await tx.run("tables/get_by_ids", ids=ids)
            if tx
            else await self._store.read("tables/get_by_ids", ids=ids)
        )
        return {row["table"]["id"]: Table.from_record(row["table"]) for row in rows}

    async def get_many_with_fields(
        self, ids: list[str], *, timestamps: bool = True
    ) -> dict[str, tuple[Table, list[Field]]]:
        """Tables by id with their fields in field order, in one statement. Without
        `timestamps` their `created_at` and `updated_at` are None: only for an operation
        that asks for neither anywhere (see `schema.common.asks_for`)."""
        rows = await self._store.read("tables/get_with_fields", ids=ids, timestamps=timestamps)
        return {
            row["table"]["id"]: (
                Table.from_record(row["table"]),
                [Field.from_record(f) for f in row["fields"]],
            )
            for row in rows
        }

    async def page(
        self,
        *,
        first: int,
        after: str | None,
        source_id: str | None,
        manual_only: bool,
        kind: TableKind | None,
        tags: list[str],
        text: str | None,
        schema: str | None = None,
    ) -> Page[Table]:
        after_name, after_id = decode_cursor(after)
        source_key = MANUAL_SOURCE_KEY if manual_only else source_id
        filters: dict[str, Any] = {
            "source_key": source_key,
            "kind": kind.value if kind else None,
            "schema": schema,
            "tags": tags,
        }
        suffix = ""
        query = lucene_query(text) if text is not None else None
        if query is not None:
            filters["text"] = query
            suffix = "_matching"
        rows = await self._store.read(
            f"tables/list{suffix}",
            **filters,
            after_name=after_name,
            after_id=after_id,
            limit=first + 1,
        )
        total = await self._store.read(f"tables/count{suffix}", **filters)
        tables = [Table.from_record(row["table"]) for row in rows]
        return Page(
            items=tables[:first], has_next=len(tables) > first, total_count=total[0]["total"]
        )

    async def schemas(self, *, source_key: str | None, limit: int) -> list[tuple[str, int]]:
        rows = await self._store.read("tables/schemas", source_key=source_key, limit=limit)
        return [(row["name"], row["tables"]) for row in rows]

    async def by_qualified_name(self, *, source_id: str, qualified_name: str) -> Table | None:
        rows = await self._store.read(
            "tables/by_qualified_name", source_key=source_id, qualified_name=qualified_name
        )
        return Table.from_record(rows[0]["table"]) if rows else None

    async def by_sources(self, source_ids: list[str], *, limit: int) -> dict[str, list[Table]]:
        rows = await self._store.read("tables/by_sources", source_ids=source_ids, limit=limit)
        return {row["source_id"]: [Table.from_record(t) for t in row["tables"]] for row in rows}

    async def create(self, tx: Tx, *, props: dict[str, Any], source_id: str | None) -> Table | None:
        """None when source_id names no source."""
        props = with_name_keys(props)
        try:
            rows = await tx.run("tables/create", props=props, source_id=source_id)
        except ConstraintError:
            raise _duplicate(props["qualified_name"], source_id) from None
        return Table.from_record(rows[0]["table"]) if rows else None

    async def update(self, tx: Tx, *, table_id: str, props: dict[str, Any]) -> Table | None:
        props = with_name_keys(props)
        try:
            rows = await tx.run("tables/update", id=table_id, props=props)
        except ConstraintError:
            raise ConflictError(
                f"Another table in the same source is already named "
                f"'{props.get('qualified_name')}'; choose another name or schema.",
                field="table.name",
            ) from None
        return Table.from_record(rows[0]["table"]) if rows else None

    async def delete(self, tx: Tx, *, table_id: str) -> dict[str, Any] | None:
        rows = await tx.run("tables/delete", id=table_id)
        if rows:
            review_counts.note(tx, before=rows[0]["edges"])
        return rows[0] if rows else None

    async def bind(self, tx: Tx, *, table_id: str, source_id: str, name: str) -> Table | None:
        try:
            rows = await tx.run("tables/bind_source", table_id=table_id, source_id=source_id)
        except ConstraintError:
            raise _duplicate(name, source_id, field="table.id") from None
        return Table.from_record(rows[0]["table"]) if rows else None

    async def unbind(self, tx: Tx, *, table_id: str, name: str) -> Table | None:
        try:
            rows = await tx.run("tables/unbind_source", table_id=table_id)
        except ConstraintError:
            raise _duplicate(name, None, field="table.id") from None
        return Table.from_record(rows[0]["table"]) if rows else None
