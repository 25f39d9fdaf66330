"""Queries and mutations for sources, tables and fields."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from graph_api import input_rules as check
from graph_api import models
from graph_api.auth.roles import Role, forbidden
from graph_api.context import Info
from graph_api.errors import ValidationError
from graph_api.schema.common import (
    ConflictErrorType,
    Connection,
    NotFoundErrorType,
    ValidationErrorType,
    asks_for,
    given_fields,
    page_size,
    requested_page_size,
    selects,
    to_connection,
)
from graph_api.schema.enums import TableKind
from graph_api.schema.nodes import Change, FieldNode, TableNode
from graph_api.schema.permissions import requires
from graph_api.schema.user_errors import UserErrors
from graph_api.services.catalog import FieldDraft, TableDraft
from graph_api.store.audit import AuditRepository
from graph_api.store.search import SearchRepository
from graph_api.store.tables import TableRepository
from graph_api.store.text_search import lucene_query

# Inputs


@strawberry.input(description="A field (column) to create.")
class FieldInput:
    name: str
    data_type: str | None = None
    nullable: bool = True
    primary_key: bool = False
    ordinal_position: int | None = strawberry.field(
        default=None, description="1-based; omitted, the field goes after the last one."
    )
    description: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    generated: str | None = strawberry.field(
        default=None,
        description="How the database fills the column, as introspectTable reports it "
        "(IDENTITY ALWAYS, AUTO_INCREMENT, STORED AS (...)); leave it out for a field you "
        "declare by hand.",
    )

    def to_draft(self) -> FieldDraft:
        return FieldDraft(
            name=self.name,
            data_type=self.data_type,
            nullable=self.nullable,
            primary_key=self.primary_key,
            ordinal_position=self.ordinal_position,
            description=self.description,
            tags=list(self.tags),
            generated=self.generated,
        )


@strawberry.input(description="A table to document; leave sourceId out for a manual table.")
class CreateTableInput:
    name: str
    schema_name: str | None = strawberry.field(default=None, name="schema")
    kind: TableKind = models.TableKind.TABLE
    description: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    source_id: strawberry.ID | None = None
    fields: list[FieldInput] = strawberry.field(
        default_factory=list, description="Fields created with the table, in one transaction."
    )


@strawberry.input(description="Only the fields given are changed; null clears a value.")
class UpdateTableInput:
    name: str | None = strawberry.UNSET
    schema_name: str | None = strawberry.field(default=strawberry.UNSET, name="schema")
    kind: TableKind | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


@strawberry.input(description="Only the fields given are changed; null clears a value.")
class UpdateFieldInput:
    name: str | None = strawberry.UNSET
    data_type: str | None = strawberry.UNSET
    nullable: bool | None = strawberry.UNSET
    primary_key: bool | None = strawberry.UNSET
    ordinal_position: int | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


def _required(changes: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in changes and changes[name] is None:
            raise ValidationError(
                f"'{name}' cannot be null; leave it out to keep the current value.",
                field=f"input.{name}",
            )


# Results


@strawberry.type
class CreateTableSuccess:
    table: TableNode
    fields: list[FieldNode] = strawberry.field(description="The fields created with the table.")


@strawberry.type
class TableSuccess:
    table: TableNode


@strawberry.type(description="What a deletion removed.")
class DeleteTableSuccess:
    deleted_table_id: strawberry.ID
    qualified_name: str
    deleted_field_ids: list[strawberry.ID]
    deleted_lineage_ids: list[strawberry.ID]

    @strawberry.field
    def deleted_field_count(self) -> int:
        return len(self.deleted_field_ids)

    @strawberry.field
    def deleted_lineage_count(self) -> int:
        return len(self.deleted_lineage_ids)


@strawberry.type
class CreateFieldsSuccess:
    fields: list[FieldNode]


@strawberry.type
class FieldSuccess:
    field: FieldNode


@strawberry.type
class DeleteFieldSuccess:
    deleted_field_id: strawberry.ID
    deleted_lineage_ids: list[strawberry.ID]


Errors = ValidationErrorType | NotFoundErrorType | ConflictErrorType
CreateTableResult = Annotated[CreateTableSuccess | Errors, strawberry.union("CreateTableResult")]
TableResult = Annotated[TableSuccess | Errors, strawberry.union("TableResult")]
DeleteTableResult = Annotated[DeleteTableSuccess | Errors, strawberry.union("DeleteTableResult")]
CreateFieldsResult = Annotated[CreateFieldsSuccess | Errors, strawberry.union("CreateFieldsResult")]
FieldResult = Annotated[FieldSuccess | Errors, strawberry.union("FieldResult")]
DeleteFieldResult = Annotated[DeleteFieldSuccess | Errors, strawberry.union("DeleteFieldResult")]

CatalogNode = Annotated[TableNode | FieldNode, strawberry.union("CatalogNode")]


@strawberry.type(description="A search result with its relevance score.")
class SearchHit:
    score: float
    node: CatalogNode


@strawberry.type(description="A schema tables are filed under.")
class TableSchema:
    name: str
    table_count: int


def _table_connection(page: models.Page[models.Table]) -> Connection[TableNode]:
    return to_connection(page, key=lambda t: (t.qualified_name, t.id), node=TableNode.from_model)


@strawberry.type
class CatalogQuery:
    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="A table by id; null when there is none.",
    )
    async def table(self, info: Info, id: strawberry.ID) -> TableNode | None:
        loaders = info.context.loaders
        table = await (
            loaders.table_and_fields(str(id), timestamps=asks_for(info, "createdAt", "updatedAt"))
            if selects(info, "fields")
            else loaders.table.load(str(id))
        )
        return TableNode.from_model(table) if table else None

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Tables ordered by qualified name, filtered, a page at a time. `text` "
        "matches words (or word prefixes) of names and descriptions; `schema` is the exact "
        "schema name (see `tableSchemas`).",
    )
    async def tables(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        source_id: strawberry.ID | None = None,
        manual_only: bool = False,
        kind: TableKind | None = None,
        tags: list[str] | None = None,
        text: str | None = None,
        schema_name: Annotated[str | None, strawberry.argument(name="schema")] = None,
    ) -> Connection[TableNode]:
        settings = info.context.settings
        if schema_name is not None and not schema_name.strip():
            raise ValidationError(
                "schema is empty: give a schema name (tableSchemas lists them), or leave it "
                "out for tables in every schema.",
                field="schema",
            )
        size = requested_page_size(first, settings)
        if manual_only and source_id is not None:
            raise ValidationError(
                "Use either sourceId or manualOnly: a manual table has no source.",
                field="manualOnly",
            )
        if text is not None and text.strip():
            check.search_text(text, field="text")
            if lucene_query(text) is None:
                # Only punctuation (say a backslash): no name holds it as a word, so nothing
                # matches; searching must not turn into listing every table.
                return _table_connection(models.Page(items=[], has_next=False, total_count=0))
        page = await TableRepository(info.context.store).page(
            first=size,
            after=after,
            source_id=str(source_id) if source_id is not None else None,
            manual_only=manual_only,
            kind=kind,
            tags=list(tags or []),
            text=text,
            schema=schema_name,
        )
        info.context.loaders.prime_tables(page.items)
        return _table_connection(page)

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="The schemas tables are filed under, by name, with how many tables each "
        "holds (in one source when sourceId is given); browse one with tables(schema:).",
    )
    async def table_schemas(
        self, info: Info, source_id: strawberry.ID | None = None, first: int = 500
    ) -> list[TableSchema]:
        limit = page_size(first, default=500, maximum=5000, argument="first")
        rows = await TableRepository(info.context.store).schemas(
            source_key=str(source_id) if source_id is not None else None, limit=limit
        )
        return [TableSchema(name=name, table_count=count) for name, count in rows]

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="A field by id; null when there is none.",
    )
    async def field(self, info: Info, id: strawberry.ID) -> FieldNode | None:
        f = await info.context.loaders.field.load(str(id))
        return FieldNode.from_model(f) if f else None

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Tables and fields whose names or descriptions match, most relevant first.",
    )
    async def search(self, info: Info, query: str, limit: int | None = None) -> list[SearchHit]:
        maximum = info.context.settings.search_limit
        size = page_size(limit, default=maximum, maximum=maximum, argument="limit")
        check.search_text(query, field="query")
        hits = await SearchRepository(info.context.store).search(query, limit=size)
        loaders = info.context.loaders
        loaders.prime_tables([h.item for h in hits if isinstance(h.item, models.Table)])
        loaders.prime_fields([h.item for h in hits if isinstance(h.item, models.Field)])
        return [
            SearchHit(
                score=hit.score,
                node=(
                    TableNode.from_model(hit.item)
                    if isinstance(hit.item, models.Table)
                    else FieldNode.from_model(hit.item)
                ),
            )
            for hit in hits
        ]

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Recorded changes to one entity, newest first. The history of users and "
        "API tokens (role changes, disables, password resets) is for ADMINs only.",
    )
    async def history(
        self,
        info: Info,
        entity_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Change]:
        settings = info.context.settings
        size = requested_page_size(first, settings)
        page = await AuditRepository(info.context.store).history(
            entity_id=str(entity_id), first=size, after=after
        )
        principal = info.context.principal
        if principal is not None and not principal.allows(Role.ADMIN):
            if any(c.entity_type in ("User", "ApiToken") for c in page.items):
                raise forbidden(principal, Role.ADMIN, "read the history of users and API tokens")
        return to_connection(page, key=lambda c: (c.at.isoformat(), c.id), node=Change.from_model)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"table": "input"})],
        description="Document a table, optionally with its fields, in one step.",
    )
    async def create_table(self, info: Info, input: CreateTableInput) -> CreateTableResult:
        table, fields = await info.context.catalog.create_table(
            TableDraft(
                name=input.name,
                schema=input.schema_name,
                kind=input.kind,
                description=input.description,
                tags=list(input.tags),
                source_id=str(input.source_id) if input.source_id is not None else None,
                fields=[f.to_draft() for f in input.fields],
            ),
            actor=info.context.actor,
        )
        return CreateTableSuccess(
            table=TableNode.from_model(table), fields=[FieldNode.from_model(f) for f in fields]
        )

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"table.id": "id", "table": "input"})],
        description="Change a table's name, schema, kind, description or tags.",
    )
    async def update_table(
        self, info: Info, id: strawberry.ID, input: UpdateTableInput
    ) -> TableResult:
        changes = given_fields(input, {"schema_name": "schema"})
        _required(changes, "name", "kind")
        table = await info.context.catalog.update_table(str(id), changes, actor=info.context.actor)
        return TableSuccess(table=TableNode.from_model(table))

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"table.id": "id"})],
        description="Delete a table with its fields and every lineage edge touching them.",
    )
    async def delete_table(self, info: Info, id: strawberry.ID) -> DeleteTableResult:
        deleted = await info.context.catalog.delete_table(str(id), actor=info.context.actor)
        return DeleteTableSuccess(
            deleted_table_id=strawberry.ID(deleted.table.id),
            qualified_name=deleted.table.qualified_name,
            deleted_field_ids=[strawberry.ID(i) for i in deleted.field_ids],
            deleted_lineage_ids=[strawberry.ID(i) for i in deleted.lineage_ids],
        )

    @strawberry.mutation(
        extensions=[
            *requires(Role.EDITOR),
            UserErrors({"table.id": "tableId", "table.sourceId": "sourceId"}),
        ],
        description="Attach a table to a source (moving it from another).",
    )
    async def bind_table_to_source(
        self, info: Info, table_id: strawberry.ID, source_id: strawberry.ID
    ) -> TableResult:
        table = await info.context.catalog.bind_table(
            str(table_id), str(source_id), actor=info.context.actor
        )
        return TableSuccess(table=TableNode.from_model(table))

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"table.id": "tableId"})],
        description="Detach a table from its source; it becomes a manual table.",
    )
    async def unbind_table_from_source(self, info: Info, table_id: strawberry.ID) -> TableResult:
        table = await info.context.catalog.unbind_table(str(table_id), actor=info.context.actor)
        return TableSuccess(table=TableNode.from_model(table))

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"table.id": "tableId"})],
        description="Add fields to a table, all or none: one bad field creates nothing.",
    )
    async def create_fields(
        self, info: Info, table_id: strawberry.ID, fields: list[FieldInput]
    ) -> CreateFieldsResult:
        created = await info.context.catalog.create_fields(
            str(table_id),
            [f.to_draft() for f in fields],
            actor=info.context.actor,
        )
        return CreateFieldsSuccess(fields=[FieldNode.from_model(f) for f in created])

    @strawberry.mutation(
        # The service checks a list of fields; this mutation's one field is `input`.
        extensions=[
            *requires(Role.EDITOR),
            UserErrors({"table.id": "tableId", "fields": "input", "fields[0]": "input"}),
        ],
        description="Add one field to a table.",
    )
    async def create_field(
        self, info: Info, table_id: strawberry.ID, input: FieldInput
    ) -> FieldResult:
        created = await info.context.catalog.create_fields(
            str(table_id), [input.to_draft()], actor=info.context.actor
        )
        return FieldSuccess(field=FieldNode.from_model(created[0]))

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"field.id": "id", "field": "input"})],
        description="Change a field.",
    )
    async def update_field(
        self, info: Info, id: strawberry.ID, input: UpdateFieldInput
    ) -> FieldResult:
        changes = given_fields(input)
        _required(changes, "name", "nullable", "primary_key")
        updated = await info.context.catalog.update_field(
            str(id), changes, actor=info.context.actor
        )
        return FieldSuccess(field=FieldNode.from_model(updated))

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"field.id": "id"})],
        description="Delete a field and the lineage edges touching it.",
    )
    async def delete_field(self, info: Info, id: strawberry.ID) -> DeleteFieldResult:
        deleted = await info.context.catalog.delete_field(str(id), actor=info.context.actor)
        return DeleteFieldSuccess(
            deleted_field_id=strawberry.ID(deleted.field.id),
            deleted_lineage_ids=[strawberry.ID(i) for i in deleted.lineage_ids],
        )
