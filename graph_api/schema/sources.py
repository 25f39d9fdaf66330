"""Data sources in GraphQL: CRUD with secrets that never come back, connection tests (also
streamed as a subscription), a table picker and "fetch columns"."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from graph_api import models
from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.schema.catalog import FieldInput
from graph_api.schema.common import (
    ConflictErrorType,
    Connection,
    NotFoundErrorType,
    ValidationErrorType,
    given_fields,
    page_size,
    requested_page_size,
    to_connection,
)
from graph_api.schema.enums import FailureReason, SourceType, TableKind
from graph_api.schema.nodes import FieldNode, SourceNode, TableNode
from graph_api.schema.permissions import requires, while_allowed
from graph_api.schema.user_errors import UserErrors
from graph_api.services.catalog import TableDraft
from graph_api.services.sources import IntrospectionResult, test_topic
from graph_api.store.sources import ConnectionTestRepository, SourceRepository


@strawberry.input(description="TLS settings of a connection.")
class TlsInput:
    enabled: bool | None = strawberry.UNSET
    ca_certificate: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="PEM text of the CA that signed the server's certificate.",
    )
    verify_hostname: bool | None = strawberry.UNSET


@strawberry.input(
    description="How to reach a database. On update, only the fields given change: an omitted "
    "secret keeps the stored one, and null removes it. Secrets are encrypted at rest and never "
    "returned."
)
class ConnectionInput:
    host: str | None = strawberry.UNSET
    port: int | None = strawberry.UNSET
    database: str | None = strawberry.UNSET
    service_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Oracle service name, e.g. FREEPDB1."
    )
    sid: str | None = strawberry.field(default=strawberry.UNSET, description="Oracle SID.")
    username: str | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    api_key: str | None = strawberry.field(
        default=strawberry.UNSET, description="Elasticsearch API key (base64 id:key)."
    )
    uri: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A full connection URI instead of host and port; treated as a secret.",
    )
    tls: TlsInput | None = strawberry.UNSET
    connect_timeout: float | None = strawberry.field(
        default=strawberry.UNSET, description="Seconds; the connection test default applies."
    )
    query_timeout: float | None = strawberry.field(default=strawberry.UNSET, description="Seconds.")

    def settings(self) -> dict[str, Any]:
        values = given_fields(self)
        tls = values.pop("tls", None)
        for secret in models.SECRET_NAMES:
            values.pop(secret, None)
        if tls is not None:
            for name, value in given_fields(tls).items():
                values[f"tls_{name}"] = value
        return values

    def secrets(self) -> dict[str, str | None]:
        return {
            k: getattr(self, k)
            for k in models.SECRET_NAMES
            if getattr(self, k) is not strawberry.UNSET
        }


@strawberry.input
class CreateSourceInput:
    name: str
    type: SourceType
    description: str | None = None
    active: bool = True
    connection: ConnectionInput | None = None


@strawberry.input(description="Only the fields given change.")
class UpdateSourceInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    connection: ConnectionInput | None = strawberry.UNSET


@strawberry.input(description="A connection to check before saving it as a source.")
class TestConnectionConfigInput:
    type: SourceType
    connection: ConnectionInput


@strawberry.type(description="The result of one connection test or introspection.")
class ConnectionTestResult:
    id: strawberry.ID
    source_id: strawberry.ID | None = strawberry.field(description="Null for an unsaved config.")
    source_name: str | None
    operation: str = strawberry.field(description="CONNECTION_TEST or INTROSPECTION.")
    table_name: str | None
    actor: str
    success: bool
    reason: FailureReason | None
    message: str | None = strawberry.field(
        description="What went wrong, in Clew's words: what was tried and the classified reason."
    )
    hint: str | None = strawberry.field(description="What to check.")
    latency_ms: float | None
    product: str | None
    version: str | None
    at: datetime
    detail: strawberry.Private[str | None] = None

    @strawberry.field(
        description="What the server or driver itself answered, with every secret removed; for "
        "ADMINs only (null for other roles): it is text Clew did not write, from whatever "
        "answered at that address."
    )
    def server_message(self, info: Info) -> str | None:
        principal = info.context.principal
        return self.detail if principal is not None and principal.allows(Role.ADMIN) else None

    @classmethod
    def from_model(cls, record: models.ConnectionTestRecord) -> ConnectionTestResult:
        return cls(
            id=strawberry.ID(record.id),
            source_id=strawberry.ID(record.source_id) if record.source_id else None,
            source_name=record.source_name,
            operation=record.operation,
            table_name=record.table_name,
            actor=record.actor,
            success=record.ok,
            reason=FailureReason(record.reason) if record.reason else None,
            message=record.message,
            hint=record.hint,
            latency_ms=record.latency_ms,
            product=record.product,
            version=record.version,
            at=record.at,
            detail=record.detail,
        )


@strawberry.type(description="A table the database offers, for a picker.")
class SourceTableRef:
    schema_name: str | None = strawberry.field(name="schema")
    name: str
    kind: TableKind


@strawberry.type
class ObservedType:
    type: str
    count: int


@strawberry.type(description="A column as the database reports it.")
class IntrospectedColumn:
    name: str
    data_type: str
    nullable: bool
    primary_key: bool
    ordinal_position: int
    comment: str | None
    is_array: bool
    generated: str | None = strawberry.field(
        description="How the database fills the column itself (IDENTITY ALWAYS, "
        "AUTO_INCREMENT, STORED AS (...)); null for an ordinary column."
    )
    observed_types: list[ObservedType] = strawberry.field(
        description="For document stores: the types seen in the sample and how often."
    )


@strawberry.type(description="A column whose catalog entry differs from the database.")
class ColumnDifference:
    name: str
    changes: strawberry.scalars.JSON = strawberry.field(
        description="attribute -> {catalog, database}"
    )


@strawberry.type(description="A table as the database sees it, not saved; review and apply it.")
class IntrospectedTable:
    source_id: strawberry.ID
    schema_name: str | None = strawberry.field(name="schema")
    name: str
    kind: TableKind
    comment: str | None
    row_count: int | None = strawberry.field(description="Approximate, where the database says.")
    columns: list[IntrospectedColumn]
    indexes: list[str]
    notes: list[str]
    existing_table: TableNode | None = strawberry.field(
        description="The catalog's table of the same name in this source, if there is one."
    )
    columns_added: list[str] = strawberry.field(description="In the database, not the catalog.")
    columns_removed: list[str] = strawberry.field(description="In the catalog, not the database.")
    columns_changed: list[ColumnDifference]

    @classmethod
    def from_result(cls, result: IntrospectionResult) -> IntrospectedTable:
        info = result.info
        return cls(
            source_id=strawberry.ID(result.source_id),
            schema_name=info.schema,
            name=info.name,
            kind=info.kind,
            comment=info.comment,
            row_count=info.row_count,
            columns=[
                IntrospectedColumn(
                    name=c.name,
                    data_type=c.data_type,
                    nullable=c.nullable,
                    primary_key=c.primary_key,
                    ordinal_position=c.ordinal_position,
                    comment=c.comment,
                    is_array=c.is_array,
                    generated=c.generated,
                    observed_types=[
                        ObservedType(type=o.type, count=o.count) for o in c.observed_types
                    ],
                )
                for c in info.columns
            ],
            indexes=info.indexes,
            notes=info.notes,
            existing_table=TableNode.from_model(result.existing) if result.existing else None,
            columns_added=result.added,
            columns_removed=result.removed,
            columns_changed=[
                ColumnDifference(
                    name=d.name,
                    changes=cast(
                        JSON,
                        {k: {"catalog": a, "database": b} for k, (a, b) in d.changes.items()},
                    ),
                )
                for d in result.changed
            ],
        )


@strawberry.input(description="The reviewed (and possibly edited) result of introspectTable.")
class IntrospectedTableInput:
    name: str
    schema_name: str | None = strawberry.field(default=None, name="schema")
    kind: TableKind = models.TableKind.TABLE
    description: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    fields: list[FieldInput] = strawberry.field(default_factory=list)
    remove_missing_columns: bool = strawberry.field(
        default=True,
        description="When the table is already in the catalog, delete fields the database no "
        "longer has (their history stays).",
    )


@strawberry.type
class SourceSuccess:
    source: SourceNode


@strawberry.type
class DeleteSourceSuccess:
    deleted_source_id: strawberry.ID
    unbound_table_ids: list[strawberry.ID] = strawberry.field(
        description="Tables that stay in the catalog as manually documented tables."
    )


@strawberry.type(
    description="A connection test that ran: `result.success` says whether Clew could connect."
)
class ConnectionTestReport:
    result: ConnectionTestResult


@strawberry.type
class ApplyIntrospectionSuccess:
    table: TableNode
    fields: list[FieldNode]
    removed_fields: list[str]


Errors = ValidationErrorType | NotFoundErrorType | ConflictErrorType
SourceResult = Annotated[SourceSuccess | Errors, strawberry.union("SourceResult")]
DeleteSourceResult = Annotated[DeleteSourceSuccess | Errors, strawberry.union("DeleteSourceResult")]
TestConnectionResult = Annotated[
    ConnectionTestReport | Errors, strawberry.union("TestConnectionResult")
]
ApplyIntrospectionResult = Annotated[
    ApplyIntrospectionSuccess | Errors, strawberry.union("ApplyIntrospectionResult")
]


@strawberry.type
class SourceQuery:
    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="A source by id; null when there is none.",
    )
    async def source(self, info: Info, id: strawberry.ID) -> SourceNode | None:
        source = await info.context.loaders.source.load(str(id))
        return SourceNode.from_model(source) if source else None

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Sources by name, a page at a time.",
    )
    async def sources(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        type: SourceType | None = None,
        active: bool | None = None,
    ) -> Connection[SourceNode]:
        settings = info.context.settings
        size = requested_page_size(first, settings)
        page = await SourceRepository(info.context.store).page(
            first=size, after=after, type=type, active=active
        )
        info.context.loaders.prime_sources(page.items)
        return to_connection(page, key=lambda s: (s.name, s.id), node=SourceNode.from_model)

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Connection tests and introspections of a source, newest first.",
    )
    async def connection_tests(
        self,
        info: Info,
        source_id: strawberry.ID,
        operation: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ConnectionTestResult]:
        settings = info.context.settings
        size = requested_page_size(first, settings)
        page = await ConnectionTestRepository(info.context.store).page(
            source_id=str(source_id), operation=operation, first=size, after=after
        )
        return to_connection(
            page, key=lambda r: (r.at.isoformat(), r.id), node=ConnectionTestResult.from_model
        )

    @strawberry.field(
        extensions=[*requires(Role.EDITOR), UserErrors({"source.id": "sourceId"})],
        description="Tables, views or collections the source offers (bounded).",
    )
    async def source_tables(
        self, info: Info, source_id: strawberry.ID, schema: str | None = None, limit: int = 500
    ) -> list[SourceTableRef]:
        refs = await info.context.sources.list_tables(
            str(source_id),
            schema=schema,
            limit=page_size(limit, default=500, maximum=5000, argument="limit"),
        )
        return [SourceTableRef(schema_name=r.schema, name=r.name, kind=r.kind) for r in refs]

    @strawberry.field(
        extensions=[
            *requires(Role.EDITOR),
            UserErrors(
                {"source.id": "sourceId", "table.name": "tableName", "table.schema": "schemaName"}
            ),
        ],
        description="Fetch columns: read one table's definition from the database, without "
        "saving. When the catalog already has it, the differences are listed.",
    )
    async def introspect_table(
        self,
        info: Info,
        source_id: strawberry.ID,
        table_name: str,
        schema_name: str | None = None,
    ) -> IntrospectedTable:
        result = await info.context.sources.introspect(
            str(source_id),
            table=table_name,
            schema=schema_name,
            actor=info.context.actor,
        )
        return IntrospectedTable.from_result(result)


@strawberry.type
class SourceMutation:
    @strawberry.mutation(
        extensions=[*requires(Role.ADMIN), UserErrors({"source": "input"})],
        description="Register a data source; secrets are encrypted at rest.",
    )
    async def create_source(self, info: Info, input: CreateSourceInput) -> SourceResult:
        connection = input.connection
        source = await info.context.sources.create(
            name=input.name,
            type=input.type,
            description=input.description,
            active=input.active,
            connection=connection.settings() if connection else None,
            secrets=connection.secrets() if connection else {},
            actor=info.context.actor,
        )
        return SourceSuccess(source=SourceNode.from_model(source))

    @strawberry.mutation(
        extensions=[*requires(Role.ADMIN), UserErrors({"source.id": "id", "source": "input"})],
        description="Change a source. Omitted secrets are kept.",
    )
    async def update_source(
        self, info: Info, id: strawberry.ID, input: UpdateSourceInput
    ) -> SourceResult:
        changes = given_fields(input)
        connection = changes.pop("connection", None)
        source = await info.context.sources.update(
            str(id),
            changes=changes,
            connection=connection.settings() if connection else None,
            secrets=connection.secrets() if connection else {},
            actor=info.context.actor,
        )
        return SourceSuccess(source=SourceNode.from_model(source))

    @strawberry.mutation(
        extensions=[*requires(Role.ADMIN), UserErrors({"source.id": "id"})],
        description="Delete a source; its tables stay in the catalog as manual tables.",
    )
    async def delete_source(self, info: Info, id: strawberry.ID) -> DeleteSourceResult:
        source, table_ids = await info.context.sources.delete(str(id), actor=info.context.actor)
        return DeleteSourceSuccess(
            deleted_source_id=strawberry.ID(source.id),
            unbound_table_ids=[strawberry.ID(i) for i in table_ids],
        )

    @strawberry.mutation(
        extensions=[*requires(Role.EDITOR), UserErrors({"source.id": "sourceId"})],
        description="Check that Clew can reach a saved source. The result is recorded, updates "
        "the source's last test, and is streamed to connectionTestResults.",
    )
    async def test_connection(self, info: Info, source_id: strawberry.ID) -> TestConnectionResult:
        record = await info.context.sources.test_saved(str(source_id), actor=info.context.actor)
        return ConnectionTestReport(result=ConnectionTestResult.from_model(record))

    @strawberry.mutation(
        extensions=[*requires(Role.ADMIN), UserErrors({"source": "input"})],
        description="Check a connection before saving it; nothing is stored.",
    )
    async def test_connection_config(
        self, info: Info, input: TestConnectionConfigInput
    ) -> TestConnectionResult:
        record = await info.context.sources.test_unsaved(
            type=input.type,
            connection=input.connection.settings(),
            secrets=input.connection.secrets(),
            actor=info.context.actor,
        )
        return ConnectionTestReport(result=ConnectionTestResult.from_model(record))

    @strawberry.mutation(
        extensions=[
            *requires(Role.EDITOR),
            UserErrors({"source.id": "sourceId", "table.sourceId": "sourceId", "table": "input"}),
        ],
        description="Save a reviewed introspection: creates the table with its fields bound to "
        "the source in one transaction, or updates the catalog's table to match, keeping "
        "descriptions and tags people wrote.",
    )
    async def create_table_from_introspection(
        self, info: Info, source_id: strawberry.ID, input: IntrospectedTableInput
    ) -> ApplyIntrospectionResult:
        table, fields, removed = await info.context.sources.apply_introspection(
            str(source_id),
            draft=TableDraft(
                name=input.name,
                schema=input.schema_name,
                kind=input.kind,
                description=input.description,
                tags=list(input.tags),
                fields=[f.to_draft() for f in input.fields],
            ),
            remove_missing=input.remove_missing_columns,
            actor=info.context.actor,
        )
        return ApplyIntrospectionSuccess(
            table=TableNode.from_model(table),
            fields=[FieldNode.from_model(f) for f in fields],
            removed_fields=removed,
        )


@strawberry.type
class SourceSubscription:
    @strawberry.subscription(
        extensions=requires(Role.VIEWER),
        description="Each connection test of this source, from any client, the moment it ends.",
    )
    async def connection_test_results(
        self, info: Info, source_id: strawberry.ID
    ) -> AsyncGenerator[ConnectionTestResult, None]:
        record: models.ConnectionTestRecord
        records = info.context.broker.subscribe(test_topic(str(source_id)))
        async for record in while_allowed(info, Role.VIEWER, records):
            yield ConnectionTestResult.from_model(record)
