"""Exports: the catalog in the interchange format, streamed a page at a time while it is read,
so memory stays flat whatever the catalog's size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from graph_api.errors import ValidationError
from graph_api.interchange.codecs import create_writer
from graph_api.interchange.format import (
    FIELDS,
    SECTIONS,
    SOURCES,
    TABLE_LINEAGE,
    TABLES,
    Encoding,
    Section,
    suggest,
)
from graph_api.models import MANUAL_SOURCE_KEY, LineageLevel
from graph_api.store.client import Store
from graph_api.store.interchange import CatalogLookups, InterchangeRepository

EXPORT_PAGE_SIZE = 1000


class ExportService:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.repo = InterchangeRepository(store)

    async def export(
        self,
        encoding: Encoding,
        *,
        sources: list[str] | None = None,
        tags: list[str] | None = None,
        tables: list[str] | None = None,
        section: Section | None = None,
        page_size: int = EXPORT_PAGE_SIZE,
        exported_at: str | None = None,
    ) -> AsyncIterator[bytes]:
        """Check the filters, then return the export as a stream of bytes. Raises
        ValidationError before anything is streamed."""
        filters = await self._filters(sources or [], tags or [], tables or [])
        meta: dict[str, Any] = {
            "exported_at": exported_at or datetime.now(UTC).isoformat(timespec="seconds"),
        }
        applied = {k: v for k, v in (("sources", sources), ("tags", tags), ("tables", tables)) if v}
        if applied:
            meta["filters"] = applied
        if section is not None and encoding is not Encoding.CSV:
            raise ValidationError(
                "Only CSV exports one section at a time; leave the section "
                "out for the other formats.",
                field="section",
            )
        return self._stream(encoding, filters, meta, section, page_size)

    async def _filters(
        self, sources: list[str], tags: list[str], tables: list[str]
    ) -> dict[str, Any]:
        source_keys: list[str] | None = None
        if sources:
            wanted = [s for s in sources if s != MANUAL_SOURCE_KEY]
            found = await self.repo.resolve_sources(wanted) if wanted else {}
            missing = [s for s in wanted if s not in found]
            if missing:
                pool = await CatalogLookups(self._store).source_names(limit=5000)
                hint = suggest(missing[0], pool)
                raise ValidationError(
                    f"No source is named '{missing[0]}' (or has that id); check the spelling"
                    + (f". Did you mean '{hint}'?" if hint else "."),
                    field="source",
                )
            source_keys = sorted(
                set(found.values())
                | ({MANUAL_SOURCE_KEY} if MANUAL_SOURCE_KEY in sources else set())
            )
        return {
            "source_keys": source_keys,
            "tags": [t.strip() for t in tags if t.strip()],
            "tables": [t.strip() for t in tables if t.strip()] or None,
        }

    async def _stream(
        self,
        encoding: Encoding,
        filters: dict[str, Any],
        meta: dict[str, Any],
        only: Section | None,
        page_size: int,
    ) -> AsyncIterator[bytes]:
        writer = create_writer(encoding, meta, single_section=only)
        try:
            if chunk := writer.start():
                yield chunk
            for section in [only] if only else SECTIONS:
                if chunk := writer.start_section(section):
                    yield chunk
                async for rows in self._pages(section, filters, page_size):
                    if chunk := writer.rows(rows):
                        yield chunk
                if chunk := writer.end_section():
                    yield chunk
            for chunk in writer.finish():
                if chunk:
                    yield chunk
        finally:
            writer.close()

    async def _pages(
        self, section: Section, filters: dict[str, Any], page: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        repo = self.repo
        if section is SOURCES:
            async for rows in repo.export_sources(filters, page=page):
                yield [dict(r) for r in rows]
        elif section is TABLES:
            async for rows in repo.export_tables(filters, page=page):
                yield [_table_row(r) for r in rows]
        elif section is FIELDS:
            async for rows in repo.export_fields(filters, page=page):
                yield [_field_row(r) for r in rows]
        elif section is TABLE_LINEAGE:
            async for rows in repo.export_lineage(LineageLevel.TABLE, filters, page=page):
                yield [_edge_row(r, with_fields=False) for r in rows]
        else:
            async for rows in repo.export_lineage(LineageLevel.FIELD, filters, page=page):
                yield [_edge_row(r, with_fields=True) for r in rows]


def _table_row(record: dict[str, Any]) -> dict[str, Any]:
    t = record["table"]
    return {
        **t,
        "tags": t.get("tags") or [],
        "source": record["source"],
        "source_id": record["source_id"],
    }


def _field_row(record: dict[str, Any]) -> dict[str, Any]:
    f = record["field"]
    return {
        **f,
        "tags": f.get("tags") or [],
        "source": record["source"],
        "schema": record["schema"],
        "table": record["table"],
        "table_id": record["table_id"],
    }


def _edge_row(record: dict[str, Any], *, with_fields: bool) -> dict[str, Any]:
    edge = record["edge"]
    row = {
        **{
            k: edge.get(k)
            for k in (
                "lineage_source",
                "confidence",
                "transformation_type",
                "transformation_logic",
                "description",
                "review_state",
                "reviewed_by",
                "reviewed_at",
                "review_comment",
                "id",
                "created_by",
                "created_at",
                "updated_at",
            )
        },
        "implied": not edge.get("explicit", True),
    }
    for role in ("upstream", "downstream"):
        row[f"{role}_source"] = record[f"{role}_source"]
        row[f"{role}_schema"] = record[f"{role}_schema"]
        row[f"{role}_table"] = record[f"{role}_table"]
        if with_fields:
            row[f"{role}_field"] = record[f"{role}_field"]
            row[f"{role}_field_id"] = record[f"{role}_id"]
        else:
            row[f"{role}_table_id"] = record[f"{role}_id"]
    return row
