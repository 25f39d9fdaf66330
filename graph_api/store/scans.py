"""Source scans in Neo4j: scan jobs (:ScanJob), the one-scan-per-source lease (:ScanLease),
schedules (on :Source), and the reads a scan compares the database with. A scan's writes to
the catalog go through the interchange repository's batched writes, as an import's do."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from graph_api.models import Field, Table
from graph_api.store.client import Tx
from graph_api.store.jobs import JobRecords

Row = dict[str, Any]


class StoredTable(NamedTuple):
    """A table as a scan finds it: its id, and the table with its fields when it has to be
    compared (None and no fields when it is as the scan left it)."""

    id: str
    table: Table | None
    fields: list[Field]


class ScanRepository(JobRecords):
    domain = "scans"

    # Jobs

    async def jobs_of_source(self, source_id: str, *, limit: int) -> list[Row]:
        rows = await self._store.read("scans/jobs_of_source", source_id=source_id, limit=limit)
        return [row["job"] for row in rows]

    async def last_jobs(self, source_ids: list[str]) -> dict[str, Row]:
        rows = await self._store.read("scans/last_jobs", source_ids=source_ids)
        return {row["source_id"]: row["job"] for row in rows}

    # The lease: one scan per source, across every Clew process

    async def acquire_lease(self, source_id: str, *, holder: str, seconds: int) -> str | None:
        """None when `holder` holds the lease now; otherwise who does."""
        rows = await self._store.write(
            "scans/lease_acquire", source_id=source_id, holder=holder, seconds=seconds
        )
        return None if rows[0]["granted"] else str(rows[0]["holder"])

    async def release_lease(self, source_id: str, *, holder: str) -> None:
        await self._store.write("scans/lease_release", source_id=source_id, holder=holder)

    # Schedules

    async def set_schedule(self, source_id: str, props: dict[str, Any]) -> Row | None:
        rows = await self._store.write("scans/set_schedule", id=source_id, props=props)
        return rows[0]["source"] if rows else None

    async def due_schedules(self) -> list[Row]:
        rows = await self._store.read("scans/due_schedules")
        return [row["source"] for row in rows]

    async def claim_schedule(self, source_id: str, *, expected: Any, next_at: datetime) -> bool:
        """Moves the due run `expected` on to `next_at`; False when another process did."""
        to_native = getattr(expected, "to_native", None)
        moment = to_native() if callable(to_native) else expected
        rows = await self._store.write(
            "scans/claim_schedule",
            id=source_id,
            expected_ms=int(moment.timestamp()) * 1000 + moment.microsecond // 1000,
            next=next_at,
        )
        return bool(rows)

    # What a scan compares the database with

    async def stored_tables(
        self, source_id: str, fingerprints: dict[str, str]
    ) -> dict[str, StoredTable]:
        """By qualified name, the tables of `source_id` the catalog has; read back whole only
        where the scan's fingerprint (given by name) or the table's version no longer holds."""
        rows = await self._store.read(
            "scans/stored_tables",
            source_id=source_id,
            tables=[{"name": n, "fingerprint": f} for n, f in fingerprints.items()],
        )
        return {
            row["name"]: StoredTable(
                row["id"],
                None if row["table"] is None else Table.from_record(row["table"]),
                [Field.from_record(f) for f in row["fields"]],
            )
            for row in rows
        }

    async def set_fingerprints(self, tx: Tx, rows: list[Row]) -> None:
        """Rows of table `id`, `fingerprint` and what the batch read of it (services/scans/
        apply._stamp), in the transaction that wrote those tables."""
        if rows:
            await tx.run("scans/set_fingerprints", rows=rows)

    async def namespace_tables(
        self, source_id: str, schemas: list[str], *, seen: list[str]
    ) -> list[Table]:
        """The tables of `schemas` but those named in `seen` (qualified names)."""
        rows = await self._store.read(
            "scans/namespace_tables", source_id=source_id, schemas=schemas, seen=seen
        )
        return [Table.from_record(row["table"]) for row in rows]
