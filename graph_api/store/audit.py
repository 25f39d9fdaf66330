"""The audit trail: who changed what, when, with the state before and after.

Changes are recorded one :Change node each, except an import's: each batch of an import is one
:ChangeSet node, with the ids of the entities it changed (`entity_ids`, searchable) and, for
each, its type, action, before, after and comment (`entries`, zlib-compressed JSON, in the same
order). An import writes in one transaction, and a node per imported row costs Neo4j about
3 kB of transaction memory (the compressed set, ~0.25 kB a row): that decides whether a large
file fits the database's memory at all. `history` reads both alike."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from graph_api.models import Change, Page
from graph_api.store.client import Store, Tx
from graph_api.store.pagination import decode_time_cursor


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=_json_default, sort_keys=True)


def _whole(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A whole state (what was created or deleted) without its empty values."""
    if value is None:
        return None
    return {k: v for k, v in value.items() if v is not None and v != []}


def _pack(entries: list[list[Any]]) -> bytes:
    text = json.dumps(entries, default=_json_default, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"))


def _unpack(blob: bytes) -> list[list[Any]]:
    return list(json.loads(zlib.decompress(blob).decode("utf-8")))


def _json_default(obj: object) -> str:
    native = getattr(obj, "to_native", None)
    obj = native() if callable(native) else obj
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    return str(obj)


def _exact(entity_id: str) -> str:
    """A full-text query for exactly this id (see migration 006: the keyword analyzer)."""
    return '"' + entity_id.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _table_of(change: ChangeDraft) -> str | None:
    """The table a table's or field's change belongs to, so the table's history finds it."""
    if change.entity_type == "TABLE":
        return change.entity_id
    if change.entity_type == "FIELD":
        state = change.after or change.before or {}
        table_id = state.get("table_id")
        return table_id if isinstance(table_id, str) else None
    return None


@dataclass(frozen=True)
class ChangeDraft:
    entity_id: str
    entity_type: str
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    comment: str | None = None


class AuditRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def record(self, tx: Tx, *, actor: str, changes: list[ChangeDraft]) -> None:
        if not changes:
            return
        await tx.run(
            "audit/record",
            actor=actor,
            changes=[
                {
                    "entity_id": c.entity_id,
                    "entity_type": c.entity_type,
                    "table_id": _table_of(c),
                    "action": c.action,
                    "before": _json(c.before),
                    "after": _json(c.after),
                    "comment": c.comment,
                }
                for c in changes
            ],
        )

    async def record_set(
        self,
        tx: Tx,
        *,
        actor: str,
        comment: str,
        job_id: str | None,
        changes: list[ChangeDraft],
    ) -> None:
        """One :ChangeSet for many changes (a batch of an import)."""
        if not changes:
            return
        entity_ids = [c.entity_id for c in changes]
        entries = [
            [
                c.entity_type,
                c.action,
                c.before if c.action == "UPDATE" else _whole(c.before),
                c.after if c.action == "UPDATE" else _whole(c.after),
                None if c.comment == comment else c.comment,
            ]
            for c in changes
        ]
        await tx.run(
            "audit/record_set",
            actor=actor,
            comment=comment,
            job_id=job_id,
            entity_ids=entity_ids,
            entries=_pack(entries),
        )
        # The driver keeps every statement's parameters until the transaction ends; emptying
        # the list lets a long import free each batch's as soon as it is written.
        entity_ids.clear()

    async def table_history(
        self, *, table_id: str, field_ids: list[str], first: int, after: str | None
    ) -> Page[Change]:
        """The table's changes and its fields' (``field_ids``: its current fields; deleted
        ones are found by the table id their changes carry)."""
        after_at, after_id = decode_time_cursor(after)
        entity_ids = [table_id, *field_ids]
        # One exact clause per id, in queries of at most 500 (Lucene refuses over 1,024).
        queries = [
            " OR ".join(_exact(i) for i in entity_ids[start : start + 500])
            for start in range(0, len(entity_ids), 500)
        ]
        params: dict[str, Any] = {
            "table_id": table_id,
            "entity_ids": entity_ids,
            "entity_queries": queries,
        }
        rows = await self._store.read(
            "audit/table_history", **params, after_at=after_at, after_id=after_id, limit=first + 1
        )
        total = await self._store.read("audit/table_count", **params)
        sets: dict[str, list[list[Any]]] = {}
        changes = [Change.from_record(_from_set(row["change"], sets)) for row in rows]
        return Page(
            items=changes[:first], has_next=len(changes) > first, total_count=total[0]["total"]
        )

    async def history(self, *, entity_id: str, first: int, after: str | None) -> Page[Change]:
        after_at, after_id = decode_time_cursor(after)
        rows = await self._store.read(
            "audit/history",
            entity_id=entity_id,
            entity_query=_exact(entity_id),
            after_at=after_at,
            after_id=after_id,
            limit=first + 1,
        )
        total = await self._store.read(
            "audit/count", entity_id=entity_id, entity_query=_exact(entity_id)
        )
        sets: dict[str, list[list[Any]]] = {}
        changes = [Change.from_record(_from_set(row["change"], sets)) for row in rows]
        return Page(
            items=changes[:first], has_next=len(changes) > first, total_count=total[0]["total"]
        )


def _from_set(row: dict[str, Any], sets: dict[str, list[list[Any]]]) -> dict[str, Any]:
    """A history row from a :ChangeSet as a :Change would have it (others as they are)."""
    if "set_entries" not in row:
        return row
    set_id = row["id"].rpartition(":")[0]
    if set_id not in sets:
        sets[set_id] = _unpack(row["set_entries"])
    entity_type, action, before, after, comment = sets[set_id][row["set_index"]]
    return {
        "id": row["id"],
        "entity_id": row["entity_id"],
        "entity_type": entity_type,
        "action": action,
        "actor": row["actor"],
        "at": row["at"],
        "before": _json(before),
        "after": _json(after),
        "comment": comment or row["comment"],
    }
