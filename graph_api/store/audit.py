"""The audit trail: who changed what, when, with the state before and after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from graph_api.models import Change, Page
from graph_api.store.client import Store, Tx
from graph_api.store.pagination import decode_time_cursor


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None

    def default(obj: object) -> str:
        native = getattr(obj, "to_native", None)
        obj = native() if callable(native) else obj
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        return str(obj)

    return json.dumps(value, default=default, sort_keys=True)


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
                    "action": c.action,
                    "before": _json(c.before),
                    "after": _json(c.after),
                    "comment": c.comment,
                }
                for c in changes
            ],
        )

    async def history(self, *, entity_id: str, first: int, after: str | None) -> Page[Change]:
        after_at, after_id = decode_time_cursor(after)
        rows = await self._store.read(
            "audit/history",
            entity_id=entity_id,
            after_at=after_at,
            after_id=after_id,
            limit=first + 1,
        )
        total = await self._store.read("audit/count", entity_id=entity_id)
        changes = [Change.from_record(row["change"]) for row in rows]
        return Page(
            items=changes[:first], has_next=len(changes) > first, total_count=total[0]["total"]
        )
