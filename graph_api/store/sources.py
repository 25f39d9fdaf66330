"""Data sources in Neo4j."""

from __future__ import annotations

from typing import Any

from neo4j.exceptions import ConstraintError

from graph_api.errors import ConflictError
from graph_api.models import Page, Source, SourceType
from graph_api.store.client import Store, Tx
from graph_api.store.pagination import decode_cursor


def _duplicate(name: str) -> ConflictError:
    return ConflictError(
        f"A source named '{name}' already exists; choose another name or update that source.",
        field="name",
    )


class SourceRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def get_many(self, ids: list[str]) -> dict[str, Source]:
        rows = await self._store.read("sources/get_by_ids", ids=ids)
        return {row["source"]["id"]: Source.from_record(row["source"]) for row in rows}

    async def list(
        self, *, first: int, after: str | None, type: SourceType | None, active: bool | None
    ) -> Page[Source]:
        after_name, after_id = decode_cursor(after)
        filters = {"type": type.value if type else None, "active": active}
        rows = await self._store.read(
            "sources/list", **filters, after_name=after_name, after_id=after_id, limit=first + 1
        )
        total = await self._store.read("sources/count", **filters)
        sources = [Source.from_record(row["source"]) for row in rows]
        return Page(
            items=sources[:first], has_next=len(sources) > first, total_count=total[0]["total"]
        )

    async def create(self, tx: Tx, *, props: dict[str, Any]) -> Source:
        try:
            rows = await tx.run("sources/create", props=props)
        except ConstraintError:
            raise _duplicate(props["name"]) from None
        return Source.from_record(rows[0]["source"])

    async def update(self, tx: Tx, *, source_id: str, props: dict[str, Any]) -> Source | None:
        try:
            rows = await tx.run("sources/update", id=source_id, props=props)
        except ConstraintError:
            raise _duplicate(props.get("name", "")) from None
        return Source.from_record(rows[0]["source"]) if rows else None

    async def delete(self, tx: Tx, *, source_id: str) -> dict[str, Any] | None:
        rows = await tx.run("sources/delete", id=source_id)
        return rows[0] if rows else None
