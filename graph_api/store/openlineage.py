"""OpenLineage events as received (kept whole, to merge a run's events again), and the
datasets they name with the Clew table each maps to."""

from __future__ import annotations

from typing import Any

from graph_api.store.client import Store

Row = dict[str, Any]


class OpenLineageRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def record_event(self, *, key: str, props: Row) -> bool:
        """False when an event with this key was stored before (nothing is written)."""
        rows = await self._store.write("openlineage/record_event", key=key, props=props)
        return bool(rows and rows[0]["created"])

    async def run_events(self, run_id: str) -> list[str]:
        rows = await self._store.read("openlineage/run_events", run_id=run_id)
        return [row["body"] for row in rows]

    async def last_complete_runs(self, job_keys: list[str]) -> dict[str, str]:
        rows = await self._store.read("openlineage/last_complete_runs", job_keys=job_keys)
        return {row["job_key"]: row["run_id"] for row in rows if row["run_id"]}

    async def note_datasets(self, rows: list[Row]) -> dict[str, str | None]:
        """Records the datasets; answers the table each is mapped to now (None: unmapped)."""
        if not rows:
            return {}
        found = await self._store.write("openlineage/note_datasets", rows=rows)
        return {row["key"]: row["table_id"] for row in found}

    async def datasets(self, *, unmapped: bool, skip: int, limit: int) -> tuple[list[Row], int]:
        rows = await self._store.read(
            "openlineage/datasets", unmapped=unmapped, skip=skip, limit=limit
        )
        total = await self._store.read("openlineage/count_datasets", unmapped=unmapped)
        return [row["dataset"] for row in rows], int(total[0]["total"])

    async def get_dataset(self, dataset_id: str) -> Row | None:
        rows = await self._store.read("openlineage/get_dataset", id=dataset_id)
        return rows[0]["dataset"] if rows else None

    async def map_dataset(self, *, dataset_id: str, table_id: str | None, actor: str) -> Row | None:
        rows = await self._store.write(
            "openlineage/map_dataset", id=dataset_id, table_id=table_id, actor=actor
        )
        return rows[0]["dataset"] if rows else None

    async def tables_by_name(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Table ids by (source id, qualified name), names compared case-insensitively."""
        if not keys:
            return {}
        rows = await self._store.read(
            "openlineage/tables_by_name",
            keys=[{"source_key": s, "qualified_name": q} for s, q in keys],
        )
        return {(row["source_key"], row["qualified_name"]): row["id"] for row in rows}
