"""The catalog as the SQL parser needs it: the tables a text names, with their fields."""

from __future__ import annotations

from graph_api.sql_lineage import CatalogField, CatalogTable
from graph_api.store.client import Store

SUGGESTION_TABLES = 20_000


class SqlCatalogRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def tables_named(self, names: list[str], *, source_key: str | None) -> list[CatalogTable]:
        rows = await self._store.read("sql/catalog_tables", names=names, source_key=source_key)
        return [
            CatalogTable(
                id=r["table"]["id"],
                schema=r["table"].get("schema"),
                name=r["table"]["name"],
                fields=tuple(
                    CatalogField(id=f["id"], name=f["name"], data_type=f.get("data_type"))
                    for f in r["fields"]
                ),
            )
            for r in rows
        ]

    async def names(self, *, source_key: str | None) -> list[CatalogTable]:
        """Tables without their fields, for suggestions only."""
        rows = await self._store.read(
            "sql/table_names", source_key=source_key, limit=SUGGESTION_TABLES
        )
        return [
            CatalogTable(id=r["id"], schema=r.get("schema"), name=r["name"], fields=())
            for r in rows
        ]
