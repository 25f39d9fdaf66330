"""One batch of a scan, planned by the scan rules and written in one transaction with its audit
trail (one :ChangeSet naming the scan's job), or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from graph_api.connectors.base import TableInfo
from graph_api.events import CATALOG_TOPIC, Broker, CatalogEvent
from graph_api.models import Field, Table
from graph_api.scan_rules import (
    Marker,
    TableOutcome,
    TablePlan,
    fingerprint,
    plan_table,
    unchanged_plan,
)
from graph_api.services.scans.jobs import ColumnChangeEntry, TableEntry
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.interchange import InterchangeRepository
from graph_api.store.scans import ScanRepository


def scan_actor(job_id: str) -> str:
    """Who a scan's changes are recorded as: the scan itself, by its job id."""
    return f"scan:{job_id}"


@dataclass
class BatchWrites:
    """Rows for the interchange repository's batched writes, and their audit entries."""

    new_tables: list[dict[str, Any]] = field(default_factory=list)
    table_updates: list[dict[str, Any]] = field(default_factory=list)
    new_fields: list[dict[str, Any]] = field(default_factory=list)
    field_updates: list[dict[str, Any]] = field(default_factory=list)
    audit: list[ChangeDraft] = field(default_factory=list)
    # Bookkeeping written with the rows, never a change of its own (see scans/stored_tables).
    fingerprints: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.audit)


def entry(plan: TablePlan, table_id: str | None) -> TableEntry:
    return TableEntry(
        plan.qualified_name,
        table_id,
        plan.columns_added,
        plan.columns_removed,
        [ColumnChangeEntry(c.name, c.before, c.after) for c in plan.columns_changed],
    )


def _before(entity: Table | Field, props: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key in props:
        value = getattr(entity, key, None)
        out[key] = getattr(value, "value", value)
    return out


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _millis(moment: datetime) -> int:
    """As Neo4j's `epochMillis`, exactly (no float)."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _stamp(plan: TablePlan, table_id: str, fingerprint: str) -> dict[str, Any]:
    """A set_fingerprints row: the fingerprint, and what this batch read of the table and does
    not write itself, so that a change another writer commits meanwhile is not taken as seen."""
    written = {f.id for f, _ in plan.update_fields}
    kept = [f for f in plan.fields if f.id not in written]
    table_written = plan.table is None or bool(plan.table_props)
    millis = sum(_millis(f.updated_at) for f in kept)
    if plan.table is not None and not table_written:
        millis += _millis(plan.table.updated_at)
    return {
        "id": table_id,
        "fingerprint": fingerprint,
        "fields": len(plan.fields) + len(plan.create_fields),
        "kept": [f.id for f in kept],
        "kept_millis": millis,
        "table_written": table_written,
    }


def writes_of(plans: list[TablePlan], *, source_id: str) -> tuple[BatchWrites, list[str | None]]:
    """The rows that carry out `plans`, and each plan's table id (a new one for a new table)."""
    out = BatchWrites()
    ids: list[str | None] = []
    for plan in plans:
        if plan.table_id is None:
            table_id = str(uuid.uuid4())
            out.new_tables.append(
                {"id": table_id, "source_id": source_id, "props": plan.table_props}
            )
            out.audit.append(ChangeDraft(table_id, "TABLE", "CREATE", after=plan.table_props))
        else:
            table_id = plan.table_id
            if plan.table_props:
                assert plan.table is not None  # a table with writes was read back
                out.table_updates.append(
                    {"id": table_id, "props": plan.table_props, "rebind": False, "source_id": None}
                )
                out.audit.append(
                    ChangeDraft(
                        table_id,
                        "TABLE",
                        "UPDATE",
                        before=_before(plan.table, plan.table_props),
                        after=plan.table_props,
                    )
                )
        ids.append(table_id)
        if plan.fingerprint is not None:
            out.fingerprints.append(_stamp(plan, table_id, plan.fingerprint))
        for props in plan.create_fields:
            field_id = str(uuid.uuid4())
            out.new_fields.append({"id": field_id, "table_id": table_id, "props": props})
            out.audit.append(
                ChangeDraft(field_id, "FIELD", "CREATE", after={"table_id": table_id, **props})
            )
        for existing, props in plan.update_fields:
            out.field_updates.append({"id": existing.id, "props": props})
            out.audit.append(
                ChangeDraft(
                    existing.id,
                    "FIELD",
                    "UPDATE",
                    before=_before(existing, props),
                    after=props,
                    comment="Missing from the source." if props.get("missing_since") else None,
                )
            )
    return out, ids


def missing_writes(tables: list[tuple[Table, dict[str, Any]]]) -> BatchWrites:
    out = BatchWrites()
    for table, props in tables:
        out.table_updates.append(
            {"id": table.id, "props": props, "rebind": False, "source_id": None}
        )
        out.audit.append(
            ChangeDraft(
                table.id,
                "TABLE",
                "UPDATE",
                before=_before(table, props),
                after=props,
                comment="Missing from the source.",
            )
        )
    return out


class BatchWriter:
    def __init__(self, store: Store, *, broker: Broker | None) -> None:
        self._store = store
        self._broker = broker
        self._scans = ScanRepository(store)
        self._interchange = InterchangeRepository(store)
        self._audit = AuditRepository(store)

    async def plan(
        self, source_id: str, infos: list[TableInfo], *, marker: Marker
    ) -> list[TablePlan]:
        """One read: tables still as this scan's rules left them are not read back."""
        prints = {_name(info): fingerprint(info) for info in infos}
        stored = await self._scans.stored_tables(source_id, prints)
        plans = []
        for info in infos:
            name = _name(info)
            found = stored.get(name)
            if found is not None and found.table is None:
                plans.append(unchanged_plan(info, found.id))
                continue
            plan = (
                plan_table(info, None, [], marker=marker)
                if found is None
                else plan_table(info, found.table, found.fields, marker=marker)
            )
            plan.fingerprint = prints[name]
            plans.append(plan)
        return plans

    async def remember(self, writes: BatchWrites) -> None:
        """Leaves the fingerprints of a batch that changed nothing on its tables: written
        alone, no updated_at, no audit entry (a table compared again, found unchanged)."""
        if not writes.fingerprints:
            return

        async def work(tx: Tx) -> None:
            await self._scans.set_fingerprints(tx, writes.fingerprints)

        await self._store.transaction(work)

    async def write(
        self,
        writes: BatchWrites,
        *,
        job_id: str,
        comment: str,
        progress: Callable[[], dict[str, Any]],
    ) -> None:
        """All of the batch, its audit entries and the job's progress in one transaction."""
        if not writes:
            return
        actor = scan_actor(job_id)

        async def work(tx: Tx) -> None:
            await self._interchange.create_tables(tx, list(writes.new_tables))
            await self._interchange.update_tables(tx, list(writes.table_updates))
            await self._interchange.create_fields(tx, list(writes.new_fields))
            await self._interchange.update_fields(tx, list(writes.field_updates))
            await self._scans.set_fingerprints(tx, writes.fingerprints)
            await self._audit.record_set(
                tx, actor=actor, comment=comment, job_id=job_id, changes=writes.audit
            )
            await self._scans.update_job(job_id, progress(), tx=tx)
            broker = self._broker
            if broker is not None:
                event = CatalogEvent("SCAN", job_id, "APPLY", actor)
                tx.after_commit.append(lambda: broker.publish(CATALOG_TOPIC, event))

        await self._store.transaction(work)


def _name(info: TableInfo) -> str:
    return f"{info.schema}.{info.name}" if info.schema else info.name


__all__ = ["BatchWriter", "TableOutcome", "entry", "missing_writes", "scan_actor", "writes_of"]
