"""Fields (columns) in Neo4j."""

from __future__ import annotations

from typing import Any

from neo4j.exceptions import ConstraintError

from graph_api.errors import ConflictError
from graph_api.models import Field
from graph_api.store import review_counts
from graph_api.store.client import Store, Tx
from graph_api.store.text_search import search_words


def _with_search_text(props: dict[str, Any]) -> dict[str, Any]:
    return {**props, "search_text": search_words(props["name"])} if "name" in props else props


class FieldRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def _read(self, tx: Tx | None, name: str, **params: Any) -> list[dict[str, Any]]:
        # Inside a service's transaction a read sees that transaction's writes.
        return await tx.run(name, **params) if tx else await self._store.read(name, **params)

    async def get_many(self, ids: list[str], tx: Tx | None = None) -> dict[str, Field]:
        rows = await self._read(tx, "fields/get_by_ids", ids=ids)
        return {row["field"]["id"]: Field.from_record(row["field"]) for row in rows}

    async def by_tables(self, table_ids: list[str], tx: Tx | None = None) -> dict[str, list[Field]]:
        rows = await self._read(tx, "fields/by_tables", table_ids=table_ids)
        return {row["table_id"]: [Field.from_record(f) for f in row["fields"]] for row in rows}

    async def existing(self, tx: Tx, *, table_id: str) -> tuple[int, set[str]]:
        """The highest ordinal position in use and the names taken, in this transaction."""
        rows = await tx.run("fields/next_ordinal", table_id=table_id)
        if not rows:
            return 0, set()
        return rows[0]["last_ordinal"], set(rows[0]["names"])

    async def create_many(
        self, tx: Tx, *, table_id: str, fields: list[dict[str, Any]]
    ) -> list[Field]:
        fields = [_with_search_text(f) for f in fields]
        try:
            rows = await tx.run("fields/create_many", table_id=table_id, fields=fields)
        except ConstraintError:
            raise ConflictError(
                "A field with one of these names already exists in the table; rename it or "
                "update the existing field.",
                field="fields",
            ) from None
        return [Field.from_record(row["field"]) for row in rows]

    async def update(self, tx: Tx, *, field_id: str, props: dict[str, Any]) -> Field | None:
        props = _with_search_text(props)
        try:
            rows = await tx.run("fields/update", id=field_id, props=props)
        except ConstraintError:
            raise ConflictError(
                f"The table already has a field named '{props.get('name')}'; choose another name.",
                field="field.name",
            ) from None
        return Field.from_record(rows[0]["field"]) if rows else None

    async def delete(self, tx: Tx, *, field_id: str) -> dict[str, Any] | None:
        rows = await tx.run("fields/delete", id=field_id)
        if rows:
            review_counts.note(tx, before=rows[0]["edges"])
        return rows[0] if rows else None
