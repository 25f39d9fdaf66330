"""Removing what a scan found gone: only on a user's confirmation (or the scan option that asks
for it), and only what is marked missing; each removal is a delete with its audit record and
its lineage, as deleting it by hand would be."""

from __future__ import annotations

from graph_api.errors import NotFoundError, ValidationError
from graph_api.services.catalog import CatalogService
from graph_api.store.client import Store
from graph_api.store.fields import FieldRepository
from graph_api.store.tables import TableRepository

MAX_REMOVALS_PER_CALL = 1000


async def remove_missing(
    store: Store, catalog: CatalogService, ids: list[str], *, actor: str
) -> list[str]:
    """Deletes the tables and fields `ids` names, each of which must be marked missing; the ids
    removed. Refuses the whole call (nothing removed) when one is not missing."""
    if len(ids) > MAX_REMOVALS_PER_CALL:
        raise ValidationError(
            f"{len(ids)} ids in one call; confirm at most {MAX_REMOVALS_PER_CALL} at a time.",
            field="ids",
        )
    wanted = list(dict.fromkeys(ids))
    tables = await TableRepository(store).get_many(wanted)
    fields = await FieldRepository(store).get_many([i for i in wanted if i not in tables])
    for index, entity_id in enumerate(wanted):
        entity = tables.get(entity_id) or fields.get(entity_id)
        if entity is None:
            raise NotFoundError(
                f"No table or field with id '{entity_id}' exists; check the id (it may have "
                "been removed already).",
                field=f"ids[{index}]",
            )
        if entity.missing_since is None:
            raise ValidationError(
                f"'{entity.name}' is not missing from its source, so it is not removed here "
                "(nothing was removed); delete it with deleteTable or deleteField if you mean to.",
                field=f"ids[{index}]",
            )
    removed = []
    for entity_id in wanted:
        if entity_id in tables:
            await catalog.delete_table(entity_id, actor=actor)
        elif fields[entity_id].table_id not in tables:
            await catalog.delete_field(entity_id, actor=actor)
        removed.append(entity_id)
    return removed
