"""Subscriptions to catalog changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.events import CATALOG_TOPIC, CatalogEvent
from graph_api.schema.permissions import requires, while_allowed


@strawberry.type(description="A committed change to the catalog.")
class CatalogChange:
    entity_type: str = strawberry.field(description="TABLE, FIELD, SOURCE or LINEAGE.")
    entity_id: strawberry.ID
    action: str = strawberry.field(description="CREATE, UPDATE, DELETE, BIND_SOURCE, ...")
    actor: str


@strawberry.type
class CatalogSubscription:
    @strawberry.subscription(
        extensions=requires(Role.VIEWER),
        description="Every committed change to tables, fields and sources, as it happens.",
    )
    async def catalog_changes(
        self, info: Info, entity_types: list[str] | None = None
    ) -> AsyncGenerator[CatalogChange, None]:
        wanted = {t.upper() for t in entity_types} if entity_types else None
        event: CatalogEvent
        events = info.context.broker.subscribe(CATALOG_TOPIC)
        async for event in while_allowed(info, Role.VIEWER, events):
            if wanted is None or event.entity_type in wanted:
                yield CatalogChange(
                    entity_type=event.entity_type,
                    entity_id=strawberry.ID(event.entity_id),
                    action=event.action,
                    actor=event.actor,
                )
