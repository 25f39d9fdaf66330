"""Data sources in Neo4j."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j.exceptions import ConstraintError

from graph_api.errors import ConflictError
from graph_api.models import SECRET_NAMES, ConnectionTestRecord, Page, Source, SourceType
from graph_api.store.client import Store, Tx
from graph_api.store.pagination import decode_cursor, decode_time_cursor


def _duplicate(name: str) -> ConflictError:
    return ConflictError(
        f"A source named '{name}' already exists; choose another name or update that source.",
        field="source.name",
    )


class SourceRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def get_many(self, ids: list[str], tx: Tx | None = None) -> dict[str, Source]:
        rows = (
            await tx.run("sources/get_by_ids", ids=ids)
            if tx
            else await self._store.read("sources/get_by_ids", ids=ids)
        )
        return {row["source"]["id"]: Source.from_record(row["source"]) for row in rows}

    async def page(
        self, *, first: int, after: str | None, type: SourceType | None, active: bool | None
    ) -> Page[Source]:
        after_name, after_id = decode_cursor(after)
        filters: dict[str, Any] = {"type": type.value if type else None, "active": active}
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
        try:
            rows = await tx.run("sources/delete", id=source_id)
        except ConstraintError:
            # Its tables would become manual ones, and one is named like a manual table.
            raise ConflictError(
                "The source's tables stay in the catalog as manually documented tables, but one "
                "of them has the same schema and name as a manual table already there. Rename "
                "or delete that manual table (or the source's table) first.",
                field="source.id",
            ) from None
        return rows[0] if rows else None


@dataclass(frozen=True)
class StoredSecrets:
    name: str
    tokens: dict[str, str]  # secret name -> Fernet token


class SourceSecretRepository:
    """The encrypted secrets, kept apart from SourceRepository so that nothing that feeds the
    API can reach them by accident."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, source_id: str) -> StoredSecrets | None:
        rows = await self._store.read("sources/secrets", id=source_id)
        if not rows:
            return None
        row = rows[0]
        return StoredSecrets(row["name"], {n: row[n] for n in SECRET_NAMES if row[n]})

    async def all(self) -> dict[str, StoredSecrets]:
        rows = await self._store.read("sources/all_secrets")
        return {
            row["id"]: StoredSecrets(row["name"], {n: row[n] for n in SECRET_NAMES if row[n]})
            for row in rows
        }

    async def replace(self, tx: Tx, rows: list[dict[str, str | None]]) -> set[str]:
        """Writes rotated tokens where the old ones are still in place; returns those ids."""
        result = await tx.run("sources/set_secrets", sources=rows)
        return {row["id"] for row in result}


class ConnectionTestRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def record(self, record: dict[str, Any]) -> ConnectionTestRecord:
        rows = await self._store.write("sources/record_test", record=record)
        return ConnectionTestRecord.from_record(rows[0]["record"])

    async def page(
        self, *, source_id: str, operation: str | None, first: int, after: str | None
    ) -> Page[ConnectionTestRecord]:
        after_at, after_id = decode_time_cursor(after)
        rows = await self._store.read(
            "sources/connection_tests",
            source_id=source_id,
            operation=operation,
            after_at=after_at,
            after_id=after_id,
            limit=first + 1,
        )
        total = await self._store.read(
            "sources/count_connection_tests", source_id=source_id, operation=operation
        )
        items = [ConnectionTestRecord.from_record(r["record"]) for r in rows]
        return Page(items=items[:first], has_next=len(items) > first, total_count=total[0]["total"])
