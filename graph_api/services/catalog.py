"""Documenting tables and fields: validation, one transaction per change, and an audit record
for every create, update and delete."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph_api import input_rules as check
from graph_api.errors import ConflictError, NotFoundError, ValidationError
from graph_api.events import Broker
from graph_api.models import Field, Table, TableKind, qualified_name
from graph_api.services.changes import record_changes
from graph_api.services.lineage import LineageChanges, LineageService
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.fields import FieldRepository
from graph_api.store.sources import SourceRepository
from graph_api.store.tables import TableRepository

MAX_FIELDS_PER_CALL = 2000


@dataclass(frozen=True, kw_only=True)
class FieldDraft:
    name: str
    data_type: str | None = None
    nullable: bool = True
    primary_key: bool = False
    ordinal_position: int | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    generated: str | None = None  # as "fetch columns" read it; None for a hand-made field


@dataclass(frozen=True, kw_only=True)
class TableDraft:
    name: str
    schema: str | None = None
    kind: TableKind = TableKind.TABLE
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    source_id: str | None = None
    fields: list[FieldDraft] = field(default_factory=list)


@dataclass(frozen=True)
class DeletedTable:
    table: Table
    field_ids: list[str]
    lineage_ids: list[str]


@dataclass(frozen=True)
class DeletedField:
    field: Field
    lineage_ids: list[str]


def _not_found(what: str, entity_id: str, field: str) -> NotFoundError:
    return NotFoundError(
        f"No {what} with id '{entity_id}' exists; check the id (it may have been deleted).",
        field=field,
    )


def _field_props(draft: FieldDraft, *, path: str) -> dict[str, Any]:
    return {
        "name": check.name(draft.name, field=f"{path}.name", what="field name"),
        "data_type": check.data_type(draft.data_type, field=f"{path}.dataType"),
        "nullable": draft.nullable,
        "primary_key": draft.primary_key,
        "ordinal_position": check.ordinal(draft.ordinal_position, field=f"{path}.ordinalPosition"),
        "description": check.description(draft.description, field=f"{path}.description"),
        "tags": check.tags(draft.tags, field=f"{path}.tags"),
        "generated": check.generated(draft.generated, field=f"{path}.generated"),
    }


def _number_fields(
    drafts: list[FieldDraft], *, taken: set[str], last_ordinal: int, path: str
) -> list[dict[str, Any]]:
    if not drafts:
        raise ValidationError("Give at least one field.", field=path)
    if len(drafts) > MAX_FIELDS_PER_CALL:
        raise ValidationError(
            f"{len(drafts)} fields in one call; send at most {MAX_FIELDS_PER_CALL} at a time "
            "or use bulk import.",
            field=path,
        )
    props = []
    seen: dict[str, int] = {}
    for index, draft in enumerate(drafts):
        item = _field_props(draft, path=f"{path}[{index}]")
        if item["name"] in seen:
            raise ValidationError(
                f"The field name '{item['name']}' appears twice (items {seen[item['name']] + 1} "
                f"and {index + 1}); field names must be unique within a table.",
                field=f"{path}[{index}].name",
            )
        if item["name"] in taken:
            raise ConflictError(
                f"The table already has a field named '{item['name']}'; rename the new field "
                "or update the existing one.",
                field=f"{path}[{index}].name",
            )
        seen[item["name"]] = index
        if item["ordinal_position"] is None:
            last_ordinal += 1
            item["ordinal_position"] = last_ordinal
        else:
            last_ordinal = max(last_ordinal, item["ordinal_position"])
        props.append(item)
    return props


def _changed(action: str, before: Table | Field, after: Table | Field) -> ChangeDraft:
    """The audit record of a table or field that went from `before` to `after`."""
    if isinstance(before, Table) and isinstance(after, Table):
        return ChangeDraft(
            after.id, "TABLE", action, before=_table_state(before), after=_table_state(after)
        )
    assert isinstance(before, Field) and isinstance(after, Field)
    return ChangeDraft(
        after.id, "FIELD", action, before=_field_state(before), after=_field_state(after)
    )


class CatalogService:
    def __init__(
        self, store: Store, *, lineage: LineageService, broker: Broker | None = None
    ) -> None:
        self._store = store
        self._lineage = lineage
        self._broker = broker
        self.tables = TableRepository(store)
        self.fields = FieldRepository(store)
        self.sources = SourceRepository(store)
        self.audit = AuditRepository(store)

    async def _load_table(self, tx: Tx, table_id: str) -> Table:
        table = (await self.tables.get_many([table_id], tx)).get(table_id)
        if table is None:
            raise _not_found("table", table_id, "table.id")
        return table

    async def _audit(self, tx: Tx, actor: str, *changes: ChangeDraft) -> None:
        await record_changes(tx, list(changes), audit=self.audit, actor=actor, broker=self._broker)

    # Tables

    async def create_table(self, draft: TableDraft, *, actor: str) -> tuple[Table, list[Field]]:
        name = check.name(draft.name, field="table.name", what="table name")
        schema = check.optional_name(draft.schema, field="table.schema", what="schema name")
        props = {
            "name": name,
            "schema": schema,
            "qualified_name": qualified_name(schema, name),
            "kind": draft.kind.value,
            "description": check.description(draft.description, field="table.description"),
            "tags": check.tags(draft.tags, field="table.tags"),
        }
        field_props = (
            _number_fields(draft.fields, taken=set(), last_ordinal=0, path="table.fields")
            if draft.fields
            else []
        )

        async def work(tx: Tx) -> tuple[Table, list[Field]]:
            table = await self.tables.create(tx, props=props, source_id=draft.source_id)
            if table is None:
                raise _not_found("source", draft.source_id or "", "table.sourceId")
            fields = (
                await self.fields.create_many(tx, table_id=table.id, fields=field_props)
                if field_props
                else []
            )
            await self._audit(
                tx,
                actor,
                ChangeDraft(table.id, "TABLE", "CREATE", after=_table_state(table)),
                *(ChangeDraft(f.id, "FIELD", "CREATE", after=_field_state(f)) for f in fields),
            )
            return table, fields

        return await self._store.transaction(work)

    async def update_table(self, table_id: str, changes: dict[str, Any], *, actor: str) -> Table:
        props: dict[str, Any] = {}
        if "name" in changes:
            props["name"] = check.name(changes["name"], field="table.name", what="table name")
        if "schema" in changes:
            props["schema"] = check.optional_name(
                changes["schema"], field="table.schema", what="schema name"
            )
        if "kind" in changes:
            props["kind"] = changes["kind"].value
        if "description" in changes:
            props["description"] = check.description(
                changes["description"], field="table.description"
            )
        if "tags" in changes:
            props["tags"] = check.tags(changes["tags"], field="table.tags")

        async def work(tx: Tx) -> Table:
            current = await self._load_table(tx, table_id)
            if "name" in props or "schema" in props:
                props["qualified_name"] = qualified_name(
                    props.get("schema", current.schema), props.get("name", current.name)
                )
            table = await self.tables.update(tx, table_id=table_id, props=props)
            assert table is not None  # loaded above in the same transaction
            await self._audit(
                tx,
                actor,
                _changed("UPDATE", current, table),
            )
            return table

        return await self._store.transaction(work)

    async def delete_table(self, table_id: str, *, actor: str) -> DeletedTable:
        async def work(tx: Tx) -> DeletedTable:
            row = await self.tables.delete(tx, table_id=table_id)
            if row is None:
                raise _not_found("table", table_id, "table.id")
            table = Table.from_record(row["table"])
            await self._audit(
                tx,
                actor,
                ChangeDraft(table.id, "TABLE", "DELETE", before=_table_state(table)),
                *(
                    ChangeDraft(
                        f["id"], "FIELD", "DELETE", before=_field_state(Field.from_record(f))
                    )
                    for f in row["fields"]
                ),
                *_edge_deletions(row["edges"]),
            )
            return DeletedTable(table, row["field_ids"], row["lineage_ids"])

        return await self._store.transaction(work)

    async def bind_table(self, table_id: str, source_id: str, *, actor: str) -> Table:
        async def work(tx: Tx) -> Table:
            current = await self._load_table(tx, table_id)
            table = await self.tables.bind(
                tx, table_id=table_id, source_id=source_id, name=current.qualified_name
            )
            if table is None:
                raise _not_found("source", source_id, "table.sourceId")
            await self._audit(
                tx,
                actor,
                _changed("BIND_SOURCE", current, table),
            )
            return table

        return await self._store.transaction(work)

    async def unbind_table(self, table_id: str, *, actor: str) -> Table:
        async def work(tx: Tx) -> Table:
            current = await self._load_table(tx, table_id)
            table = await self.tables.unbind(tx, table_id=table_id, name=current.qualified_name)
            assert table is not None
            await self._audit(
                tx,
                actor,
                _changed("UNBIND_SOURCE", current, table),
            )
            return table

        return await self._store.transaction(work)

    # Fields

    async def create_fields(
        self, table_id: str, drafts: list[FieldDraft], *, actor: str
    ) -> list[Field]:
        for index, draft in enumerate(drafts[:MAX_FIELDS_PER_CALL]):
            _field_props(draft, path=f"fields[{index}]")  # fail on bad input before any I/O

        async def work(tx: Tx) -> list[Field]:
            await self._load_table(tx, table_id)
            last_ordinal, taken = await self.fields.existing(tx, table_id=table_id)
            props = _number_fields(drafts, taken=taken, last_ordinal=last_ordinal, path="fields")
            fields = await self.fields.create_many(tx, table_id=table_id, fields=props)
            await self._audit(
                tx,
                actor,
                *(ChangeDraft(f.id, "FIELD", "CREATE", after=_field_state(f)) for f in fields),
            )
            return fields

        return await self._store.transaction(work)

    async def update_field(self, field_id: str, changes: dict[str, Any], *, actor: str) -> Field:
        props: dict[str, Any] = {}
        if "name" in changes:
            props["name"] = check.name(changes["name"], field="field.name", what="field name")
        if "data_type" in changes:
            props["data_type"] = check.data_type(changes["data_type"], field="field.dataType")
        for flag in ("nullable", "primary_key"):
            if flag in changes:
                props[flag] = bool(changes[flag])
        if "ordinal_position" in changes:
            props["ordinal_position"] = check.ordinal(
                changes["ordinal_position"], field="field.ordinalPosition"
            )
        if "description" in changes:
            props["description"] = check.description(
                changes["description"], field="field.description"
            )
        if "tags" in changes:
            props["tags"] = check.tags(changes["tags"], field="field.tags")

        async def work(tx: Tx) -> Field:
            current = (await self.fields.get_many([field_id], tx)).get(field_id)
            if current is None:
                raise _not_found("field", field_id, "field.id")
            updated = await self.fields.update(tx, field_id=field_id, props=props)
            assert updated is not None
            await self._audit(
                tx,
                actor,
                _changed("UPDATE", current, updated),
            )
            return updated

        return await self._store.transaction(work)

    async def delete_field(self, field_id: str, *, actor: str) -> DeletedField:
        async def work(tx: Tx) -> DeletedField:
            row = await self.fields.delete(tx, field_id=field_id)
            if row is None:
                raise _not_found("field", field_id, "field.id")
            deleted = Field.from_record(row["field"])
            # Table edges that only existed because of this field's lineage go with it.
            implied: list[ChangeDraft] = []
            await self._lineage.refresh_implied(
                tx, [tuple(p) for p in row["pairs"]], LineageChanges(), implied, actor=actor
            )
            await self._audit(
                tx,
                actor,
                ChangeDraft(deleted.id, "FIELD", "DELETE", before=_field_state(deleted)),
                *_edge_deletions(row["edges"]),
                *implied,
            )
            return DeletedField(deleted, row["lineage_ids"])

        return await self._store.transaction(work)

    async def sync_fields(
        self, table_id: str, draft: TableDraft, *, remove_missing: bool, actor: str
    ) -> tuple[Table, list[Field], list[str]]:
        """Brings a table's fields in line with `draft.fields` (as a database reported them):
        types, keys, nullability and order follow the database; descriptions and tags people
        wrote are kept, and a database comment only fills an empty description."""
        wanted = _number_fields(draft.fields, taken=set(), last_ordinal=0, path="table.fields")

        async def work(tx: Tx) -> tuple[Table, list[Field], list[str]]:
            table = await self._load_table(tx, table_id)
            listed = (await self.fields.by_tables([table_id], tx)).get(table_id, [])
            current = {f.name: f for f in listed}
            audit: list[ChangeDraft] = []
            table_props: dict[str, Any] = {}
            if table.kind is not draft.kind:
                table_props["kind"] = draft.kind.value
            if not table.description and draft.description:
                table_props["description"] = draft.description
            updated_table = table
            if table_props:
                changed = await self.tables.update(tx, table_id=table_id, props=table_props)
                assert changed is not None
                updated_table = changed
                audit.append(_changed("UPDATE", table, updated_table))
            new = [props for props in wanted if props["name"] not in current]
            created = (
                await self.fields.create_many(tx, table_id=table_id, fields=new) if new else []
            )
            audit += [ChangeDraft(f.id, "FIELD", "CREATE", after=_field_state(f)) for f in created]
            kept: list[Field] = []
            for props in wanted:
                existing = current.get(props["name"])
                if existing is None:
                    continue
                change = {
                    k: props[k]
                    for k in (
                        "data_type",
                        "nullable",
                        "primary_key",
                        "ordinal_position",
                        "generated",
                    )
                }
                if not existing.description and props["description"]:
                    change["description"] = props["description"]
                if all(getattr(existing, k) == v for k, v in change.items()):
                    kept.append(existing)
                    continue
                field = await self.fields.update(tx, field_id=existing.id, props=change)
                assert field is not None
                audit.append(_changed("UPDATE", existing, field))
                kept.append(field)
            removed: list[str] = []
            if remove_missing:
                names = {props["name"] for props in wanted}
                for name, existing in current.items():
                    if name in names:
                        continue
                    row = await self.fields.delete(tx, field_id=existing.id)
                    if row is None:
                        continue
                    removed.append(name)
                    implied: list[ChangeDraft] = []
                    await self._lineage.refresh_implied(
                        tx, [tuple(p) for p in row["pairs"]], LineageChanges(), implied, actor=actor
                    )
                    audit.append(
                        ChangeDraft(existing.id, "FIELD", "DELETE", before=_field_state(existing))
                    )
                    audit += _edge_deletions(row["edges"])
                    audit += implied
            await self._audit(tx, actor, *audit)
            fields = sorted(created + kept, key=lambda f: (f.ordinal_position or 0, f.name))
            return updated_table, fields, removed

        return await self._store.transaction(work)


def _edge_deletions(edges: list[dict[str, Any]]) -> list[ChangeDraft]:
    """Lineage removed with a table or field, recorded as it was."""
    return [
        ChangeDraft(
            e["id"], "LINEAGE", "DELETE", before=e, comment="Removed with its table or field."
        )
        for e in edges
    ]


def _table_state(table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "schema": table.schema,
        "kind": table.kind.value,
        "description": table.description,
        "tags": table.tags,
        "source_id": table.source_id,
    }


def _field_state(f: Field) -> dict[str, Any]:
    return {
        "table_id": f.table_id,
        "name": f.name,
        "data_type": f.data_type,
        "nullable": f.nullable,
        "primary_key": f.primary_key,
        "ordinal_position": f.ordinal_position,
        "generated": f.generated,
        "description": f.description,
        "tags": f.tags,
    }
