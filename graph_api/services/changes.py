"""Recording a change: its audit record in the same transaction, and, once that transaction has
committed, an event for subscribers (never for an attempt the driver rolled back)."""

from __future__ import annotations

from graph_api.events import CATALOG_TOPIC, Broker, CatalogEvent
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Tx


async def record_changes(
    tx: Tx,
    changes: list[ChangeDraft],
    *,
    audit: AuditRepository,
    actor: str,
    broker: Broker | None,
) -> None:
    await audit.record(tx, actor=actor, changes=changes)
    if broker is None or not changes:
        return
    events = [CatalogEvent(c.entity_type, c.entity_id, c.action, actor) for c in changes]

    def publish() -> None:
        for event in events:
            broker.publish(CATALOG_TOPIC, event)

    tx.after_commit.append(publish)
