"""The catalog's node types: Source, Table, Field. Related objects resolve through the
request's DataLoaders, never one query per node."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension

from graph_api import models
from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.loaders import LineageKey
from graph_api.schema.lineage_types import (
    FieldLineage,
    LineageFilter,
    TableLineage,
    field_lineage,
    table_lineage,
    to_filter,
)
from graph_api.services.traversal import DEFAULT_DEPTH, check_depth, check_max_nodes

DEFAULT_NEIGHBOURS = 100


def _lineage_key(
    info: Info,
    node_id: str,
    level: models.LineageLevel,
    direction: models.Direction,
    depth: int,
    filter: LineageFilter | None,
    max_nodes: int,
) -> LineageKey:
    settings = info.context.settings
    key = LineageKey(
        root_id=node_id,
        level=level,
        direction=direction,
        depth=check_depth(depth, maximum=settings.lineage_max_depth),
        traversal=to_filter(filter),
        max_nodes=check_max_nodes(max_nodes, maximum=settings.lineage_max_nodes),
    )
    info.context.spend_lineage_budget(key)
    return key


# strawberry.enum registers the GraphQL enum on the class itself, so annotations
# below use the domain enums directly.
strawberry.enum(models.TableKind, description="What a table-like object is.")
TableKind = models.TableKind
strawberry.enum(models.SourceType, description="The kind of database a source is.")
SourceType = models.SourceType


MASK = "******"


@strawberry.type(description="TLS settings of a connection.")
class TlsSettings:
    enabled: bool
    ca_certificate: str | None
    verify_hostname: bool


@strawberry.type(
    description="How Clew reaches a source. Secrets are never returned: a stored one shows as "
    '"******", and the *Set fields say which are stored.'
)
class ConnectionSettings:
    host: str | None
    port: int | None
    database: str | None
    service_name: str | None
    sid: str | None
    username: str | None
    tls: TlsSettings
    connect_timeout: float | None
    query_timeout: float | None
    password: str | None
    password_set: bool
    api_key: str | None
    api_key_set: bool
    uri: str | None
    uri_set: bool


@strawberry.type(description="The outcome of a source's latest connection test.")
class LastConnectionTest:
    at: datetime
    success: bool
    reason: str | None
    message: str | None
    latency_ms: float | None
    product: str | None
    version: str | None


class _AdminOnlyAddress(FieldExtension):
    """Where a source lives and as whom Clew signs in to it (host, port, database, service,
    SID, username, CA certificate) is for the ADMINs who manage it: a map of the servers to
    anyone else. Other roles read these as null."""

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        settings = next_(source, info, **kwargs)
        principal = info.context.principal
        if principal is not None and principal.allows(Role.ADMIN):
            return settings
        return dataclasses.replace(
            settings,
            host=None,
            port=None,
            database=None,
            service_name=None,
            sid=None,
            username=None,
            tls=dataclasses.replace(settings.tls, ca_certificate=None),
        )


@strawberry.type(name="Source", description="A database that tables live in.")
class SourceNode:
    id: strawberry.ID
    name: str
    type: SourceType
    description: str | None
    active: bool
    connection: ConnectionSettings = strawberry.field(
        extensions=[_AdminOnlyAddress()],
        description="How Clew reaches it; host, port, database, serviceName, sid, username and "
        "tls.caCertificate are null unless you are an ADMIN.",
    )
    last_test: LastConnectionTest | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, source: models.Source) -> SourceNode:
        c = source.connection
        secrets = source.secrets_set
        return cls(
            id=strawberry.ID(source.id),
            name=source.name,
            type=source.type,
            description=source.description,
            active=source.active,
            connection=ConnectionSettings(
                host=c.host,
                port=c.port,
                database=c.database,
                service_name=c.service_name,
                sid=c.sid,
                username=c.username,
                tls=TlsSettings(
                    enabled=c.tls_enabled,
                    ca_certificate=c.tls_ca_certificate,
                    verify_hostname=c.tls_verify_hostname,
                ),
                connect_timeout=c.connect_timeout,
                query_timeout=c.query_timeout,
                password=MASK if "password" in secrets else None,
                password_set="password" in secrets,
                api_key=MASK if "api_key" in secrets else None,
                api_key_set="api_key" in secrets,
                uri=MASK if "uri" in secrets else None,
                uri_set="uri" in secrets,
            ),
            last_test=LastConnectionTest(
                at=source.last_test.at,
                success=source.last_test.ok,
                reason=source.last_test.reason,
                message=source.last_test.message,
                latency_ms=source.last_test.latency_ms,
                product=source.last_test.product,
                version=source.last_test.version,
            )
            if source.last_test
            else None,
            created_at=source.created_at,
            updated_at=source.updated_at,
        )

    @strawberry.field(
        description="The source's tables by qualified name (the first 1000; use "
        "`tables(sourceId:)` to page through more)."
    )
    async def tables(self, info: Info) -> list[TableNode]:
        tables = await info.context.loaders.tables_of_source.load(str(self.id))
        info.context.loaders.prime_tables(tables)
        return [TableNode.from_model(t) for t in tables]


@strawberry.type(name="Table", description="A table, view, collection, index or file.")
class TableNode:
    id: strawberry.ID
    name: str
    schema_name: str | None = strawberry.field(
        name="schema", description="Schema or namespace the table lives in, if any."
    )
    qualified_name: str = strawberry.field(
        description="`schema.name`, or `name` when there is no schema; unique within its source."
    )
    kind: TableKind
    description: str | None
    tags: list[str]
    source_id: strawberry.ID | None = strawberry.field(
        description="Null for a manually documented table."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, table: models.Table) -> TableNode:
        return cls(
            id=strawberry.ID(table.id),
            name=table.name,
            schema_name=table.schema,
            qualified_name=table.qualified_name,
            kind=table.kind,
            description=table.description,
            tags=table.tags,
            source_id=strawberry.ID(table.source_id) if table.source_id else None,
            created_at=table.created_at,
            updated_at=table.updated_at,
        )

    @strawberry.field(description="True when the table is documented by hand, with no source.")
    def is_manual(self) -> bool:
        return self.source_id is None

    @strawberry.field(description="The source the table belongs to; null for a manual table.")
    async def source(self, info: Info) -> SourceNode | None:
        if self.source_id is None:
            return None
        source = await info.context.loaders.source.load(str(self.source_id))
        return SourceNode.from_model(source) if source else None

    @strawberry.field(description="The table's fields in ordinal order.")
    async def fields(self, info: Info) -> list[FieldNode]:
        fields = await info.context.loaders.fields_of_table.load(str(self.id))
        info.context.loaders.prime_fields(fields)
        return [FieldNode.from_model(f) for f in fields]

    @strawberry.field(description="Tables this table's data comes from, nearest first.")
    async def upstream(
        self,
        info: Info,
        depth: int = DEFAULT_DEPTH,
        filter: LineageFilter | None = None,
        max_nodes: int = DEFAULT_NEIGHBOURS,
    ) -> TableLineage:
        key = _lineage_key(
            info,
            str(self.id),
            models.LineageLevel.TABLE,
            models.Direction.UPSTREAM,
            depth,
            filter,
            max_nodes,
        )
        return await table_lineage(info, await info.context.loaders.lineage.load(key))

    @strawberry.field(description="Tables fed by this table, nearest first.")
    async def downstream(
        self,
        info: Info,
        depth: int = DEFAULT_DEPTH,
        filter: LineageFilter | None = None,
        max_nodes: int = DEFAULT_NEIGHBOURS,
    ) -> TableLineage:
        key = _lineage_key(
            info,
            str(self.id),
            models.LineageLevel.TABLE,
            models.Direction.DOWNSTREAM,
            depth,
            filter,
            max_nodes,
        )
        return await table_lineage(info, await info.context.loaders.lineage.load(key))


@strawberry.type(name="Field", description="A column of a table, or a field of a document.")
class FieldNode:
    id: strawberry.ID
    table_id: strawberry.ID
    name: str
    data_type: str | None
    nullable: bool
    primary_key: bool
    ordinal_position: int | None
    description: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, f: models.Field) -> FieldNode:
        return cls(
            id=strawberry.ID(f.id),
            table_id=strawberry.ID(f.table_id),
            name=f.name,
            data_type=f.data_type,
            nullable=f.nullable,
            primary_key=f.primary_key,
            ordinal_position=f.ordinal_position,
            description=f.description,
            tags=f.tags,
            created_at=f.created_at,
            updated_at=f.updated_at,
        )

    @strawberry.field(description="The table this field belongs to.")
    async def table(self, info: Info) -> TableNode:
        table = await info.context.loaders.table.load(str(self.table_id))
        return TableNode.from_model(table)

    @strawberry.field(description="Fields this field's data comes from, nearest first.")
    async def upstream(
        self,
        info: Info,
        depth: int = DEFAULT_DEPTH,
        filter: LineageFilter | None = None,
        max_nodes: int = DEFAULT_NEIGHBOURS,
    ) -> FieldLineage:
        key = _lineage_key(
            info,
            str(self.id),
            models.LineageLevel.FIELD,
            models.Direction.UPSTREAM,
            depth,
            filter,
            max_nodes,
        )
        return await field_lineage(info, await info.context.loaders.lineage.load(key))

    @strawberry.field(description="Fields fed by this field, nearest first.")
    async def downstream(
        self,
        info: Info,
        depth: int = DEFAULT_DEPTH,
        filter: LineageFilter | None = None,
        max_nodes: int = DEFAULT_NEIGHBOURS,
    ) -> FieldLineage:
        key = _lineage_key(
            info,
            str(self.id),
            models.LineageLevel.FIELD,
            models.Direction.DOWNSTREAM,
            depth,
            filter,
            max_nodes,
        )
        return await field_lineage(info, await info.context.loaders.lineage.load(key))


@strawberry.type(description="One recorded change to a table, field, source or lineage edge.")
class Change:
    id: strawberry.ID
    entity_id: strawberry.ID
    entity_type: str
    action: str
    actor: str
    at: datetime
    before: strawberry.scalars.JSON | None
    after: strawberry.scalars.JSON | None
    comment: str | None

    @classmethod
    def from_model(cls, change: models.Change) -> Change:
        return cls(
            id=strawberry.ID(change.id),
            entity_id=strawberry.ID(change.entity_id),
            entity_type=change.entity_type,
            action=change.action,
            actor=change.actor,
            at=change.at,
            before=json.loads(change.before) if change.before else None,
            after=json.loads(change.after) if change.after else None,
            comment=change.comment,
        )
