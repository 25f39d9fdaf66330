"""The schema's node types: Source, Table, Field and LineageEdge, and what a traversal from a
table or field returns. Related objects resolve through the request's DataLoaders, never one
query per node; a node's upstream and downstream come from one field factory."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.extensions import FieldExtension

from graph_api import models
from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.loaders import LineageKey
from graph_api.schema.common import Connection, requested_page_size, to_connection
from graph_api.schema.enums import (
    Direction,
    LineageLevel,
    LineageSource,
    ReviewState,
    SourceType,
    TableKind,
    TransformationType,
)
from graph_api.schema.origin_nodes import EdgeAssertionNode
from graph_api.schema.user_errors import UserErrors
from graph_api.store.audit import AuditRepository
from graph_api.store.lineage import TraversalFilter
from graph_api.store.traversal import DEFAULT_DEPTH, Traversal, check_depth, check_max_nodes

if TYPE_CHECKING:
    from graph_api.schema.scan_types import ScanJobNode

DEFAULT_NEIGHBOURS = 100
# How a traversal's checks (store/traversal.py) read in the arguments of every field that
# traverses: Table.upstream and the rest, lineageGraph, impact.
TRAVERSAL_PATHS = {"traversal.depth": "depth", "traversal.maxNodes": "maxNodes"}


@strawberry.input(description="Which edges a traversal follows.")
class LineageFilter:
    min_confidence: float = 0.0
    provenance: list[LineageSource] | None = strawberry.field(
        default=None, description="Only edges with these provenances; all when omitted."
    )
    include_rejected: bool = strawberry.field(
        default=False, description="Rejected edges are left out unless this is true."
    )

    def to_filter(self) -> TraversalFilter:
        return TraversalFilter(
            min_confidence=self.min_confidence,
            provenance=tuple(sorted(self.provenance, key=lambda p: p.value))
            if self.provenance
            else None,
            include_rejected=self.include_rejected,
        )


def to_filter(value: LineageFilter | None) -> TraversalFilter:
    return value.to_filter() if value else TraversalFilter()


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


def lineage_field(
    level: models.LineageLevel, direction: models.Direction, *, description: str
) -> Any:
    """A table's or field's `upstream` or `downstream`: the same arguments and traversal for
    all four, differing only in level and direction."""

    async def resolve(
        root: Any,
        info: Info,
        depth: int = DEFAULT_DEPTH,
        filter: LineageFilter | None = None,
        max_nodes: int = DEFAULT_NEIGHBOURS,
    ) -> Any:
        key = _lineage_key(info, str(root.id), level, direction, depth, filter, max_nodes)
        result = await info.context.loaders.lineage.load(key)
        if level is models.LineageLevel.TABLE:
            return await table_lineage(info, result)
        return await field_lineage(info, result)

    resolve.__annotations__["return"] = (
        "TableLineage" if level is models.LineageLevel.TABLE else "FieldLineage"
    )
    return strawberry.field(
        resolver=resolve, description=description, extensions=[UserErrors(TRAVERSAL_PATHS)]
    )


MASK = "******"


@strawberry.type(description="A source's scan schedule: a cron expression in a time zone.")
class ScanScheduleNode:
    cron: str = strawberry.field(description="Five fields: minute hour day month weekday.")
    time_zone: str = strawberry.field(description="The IANA time zone the cron is read in.")
    enabled: bool
    namespaces: list[str] = strawberry.field(description="What it scans; empty: everything.")
    next_run_at: datetime | None = strawberry.field(description="When it runs next (if enabled).")

    @classmethod
    def from_model(cls, schedule: models.ScanSchedule) -> ScanScheduleNode:
        return cls(
            cron=schedule.cron,
            time_zone=schedule.time_zone,
            enabled=schedule.enabled,
            namespaces=list(schedule.namespaces),
            next_run_at=schedule.next_run_at if schedule.enabled else None,
        )


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
    scan_schedule: ScanScheduleNode | None = strawberry.field(
        default=None, description="When Clew scans this source by itself; null: never."
    )

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
            scan_schedule=ScanScheduleNode.from_model(source.scan_schedule)
            if source.scan_schedule
            else None,
        )

    @strawberry.field(
        description="The newest scan of this source (status, when, counts, why it failed)."
    )
    async def last_scan(
        self, info: Info
    ) -> Annotated["ScanJobNode", strawberry.lazy("graph_api.schema.scan_types")] | None:  # noqa: UP037
        from graph_api.schema.scan_types import ScanJobNode
        from graph_api.services.scans.jobs import ScanJob

        row = await info.context.loaders.last_scan.load(str(self.id))
        return ScanJobNode.from_model(ScanJob.from_record(row)) if row else None

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
    comment: str | None = strawberry.field(
        default=None, description="The database's own comment, as the last scan read it."
    )
    definition: str | None = strawberry.field(
        default=None,
        description="A view's or materialized view's defining SQL, as the database gives it.",
    )
    missing_since: datetime | None = strawberry.field(
        default=None,
        description="When a scan of its source last found it gone; null while the source has it.",
    )
    missing_scan_id: strawberry.ID | None = strawberry.field(
        default=None, description="The scan job that found it gone."
    )

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
            comment=table.comment,
            definition=table.definition,
            missing_since=table.missing_since,
            missing_scan_id=strawberry.ID(table.missing_scan_id) if table.missing_scan_id else None,
        )

    @strawberry.field(
        description="True when the last scan of its source no longer found it (see "
        "missingSince); it stays until someone confirms removeMissing."
    )
    def missing(self) -> bool:
        return self.missing_since is not None

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

    @strawberry.field(
        extensions=[UserErrors()],
        description="Changes to the table and to its fields (those since deleted included), "
        "newest first; each change's entityType and entityId say which.",
    )
    async def history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Change]:
        fields = await info.context.loaders.fields_of_table.load(str(self.id))
        page = await AuditRepository(info.context.store).table_history(
            table_id=str(self.id),
            field_ids=[f.id for f in fields],
            first=requested_page_size(first, info.context.settings),
            after=after,
        )
        return to_connection(page, key=lambda c: (c.at.isoformat(), c.id), node=Change.from_model)

    upstream = lineage_field(
        LineageLevel.TABLE,
        Direction.UPSTREAM,
        description="Tables this table's data comes from, nearest first.",
    )
    downstream = lineage_field(
        LineageLevel.TABLE,
        Direction.DOWNSTREAM,
        description="Tables fed by this table, nearest first.",
    )


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
    comment: str | None = strawberry.field(
        default=None, description="The database's own comment, as the last scan read it."
    )
    generated: str | None = strawberry.field(
        default=None,
        description="How the database fills the column itself, in its own words (IDENTITY "
        "ALWAYS, IDENTITY BY DEFAULT, AUTO_INCREMENT, STORED AS (price * qty), VIRTUAL AS "
        "(...)), as the last scan or fetch columns read it; null for an ordinary column.",
    )
    missing_since: datetime | None = strawberry.field(
        default=None,
        description="When a scan of its source last found it gone; null while the source has it.",
    )
    missing_scan_id: strawberry.ID | None = strawberry.field(
        default=None, description="The scan job that found it gone."
    )

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
            comment=f.comment,
            generated=f.generated,
            missing_since=f.missing_since,
            missing_scan_id=strawberry.ID(f.missing_scan_id) if f.missing_scan_id else None,
        )

    @strawberry.field(
        description="True when the last scan of its source no longer found this column; it "
        "stays until someone confirms removeMissing."
    )
    def missing(self) -> bool:
        return self.missing_since is not None

    @strawberry.field(description="The table this field belongs to.")
    async def table(self, info: Info) -> TableNode:
        table = await info.context.loaders.table.load(str(self.table_id))
        return TableNode.from_model(table)

    upstream = lineage_field(
        LineageLevel.FIELD,
        Direction.UPSTREAM,
        description="Fields this field's data comes from, nearest first.",
    )
    downstream = lineage_field(
        LineageLevel.FIELD,
        Direction.DOWNSTREAM,
        description="Fields fed by this field, nearest first.",
    )


LineageEnd = Annotated[TableNode | FieldNode, strawberry.union("LineageEnd")]


@strawberry.type(name="LineageEdge", description="Data flows from upstream to downstream.")
class LineageEdgeNode:
    id: strawberry.ID
    level: LineageLevel
    upstream_id: strawberry.ID
    downstream_id: strawberry.ID
    lineage_source: LineageSource
    confidence: float
    transformation_type: TransformationType | None
    transformation_logic: str | None
    description: str | None
    review_state: ReviewState
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    implied: bool = strawberry.field(
        description="True for a table edge that exists because field edges run between the "
        "two tables; it follows them."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, edge: models.LineageEdge) -> LineageEdgeNode:
        return cls(
            id=strawberry.ID(edge.id),
            level=edge.level,
            upstream_id=strawberry.ID(edge.upstream_id),
            downstream_id=strawberry.ID(edge.downstream_id),
            lineage_source=edge.lineage_source,
            confidence=edge.confidence,
            transformation_type=edge.transformation_type,
            transformation_logic=edge.transformation_logic,
            description=edge.description,
            review_state=edge.review_state,
            reviewed_by=edge.reviewed_by,
            reviewed_at=edge.reviewed_at,
            review_comment=edge.review_comment,
            implied=not edge.explicit,
            created_by=edge.created_by,
            created_at=edge.created_at,
            updated_at=edge.updated_at,
        )

    async def _end(self, info: Info, node_id: str) -> TableNode | FieldNode | None:
        if self.level is models.LineageLevel.TABLE:
            table = await info.context.loaders.table.load(node_id)
            return TableNode.from_model(table) if table else None
        f = await info.context.loaders.field.load(node_id)
        return FieldNode.from_model(f) if f else None

    @strawberry.field(description="The table or field the data comes from.")
    async def upstream(self, info: Info) -> LineageEnd | None:
        return await self._end(info, str(self.upstream_id))

    @strawberry.field(description="The table or field the data goes to.")
    async def downstream(self, info: Info) -> LineageEnd | None:
        return await self._end(info, str(self.downstream_id))

    @strawberry.field(description="The origins that assert this edge, each with its evidence.")
    async def assertions(self, info: Info) -> list[EdgeAssertionNode]:
        found = await info.context.loaders.assertions_of_edge.load(str(self.id))
        return [EdgeAssertionNode.from_model(a, o) for a, o in found]


@strawberry.type(description="A table reached by traversal.")
class TableHop:
    table: TableNode
    distance: int = strawberry.field(description="Hops from the starting table.")
    via: LineageEdgeNode = strawberry.field(description="The edge it was reached through.")


@strawberry.type(description="A field reached by traversal.")
class FieldHop:
    field: FieldNode
    distance: int
    via: LineageEdgeNode


@strawberry.type
class TableLineage:
    hops: list[TableHop]
    truncated: bool = strawberry.field(description="True when maxNodes cut the traversal short.")
    frontier: list[strawberry.ID] = strawberry.field(
        description="Reached tables whose further neighbours were not loaded."
    )


@strawberry.type
class FieldLineage:
    hops: list[FieldHop]
    truncated: bool
    frontier: list[strawberry.ID]


async def table_lineage(info: Info, result: Traversal) -> TableLineage:
    reached = [n for n in result.nodes.values() if n.via is not None]
    tables = await info.context.loaders.table.load_many([n.id for n in reached])
    hops = [
        TableHop(
            table=TableNode.from_model(t),
            distance=abs(n.depth),
            via=LineageEdgeNode.from_model(n.via),  # type: ignore[arg-type]
        )
        for n, t in zip(reached, tables, strict=True)
        if t is not None
    ]
    hops.sort(key=lambda h: (h.distance, h.table.qualified_name))
    return TableLineage(
        hops=hops,
        truncated=result.truncated,
        frontier=[strawberry.ID(i) for i in sorted(result.frontier)],
    )


async def field_lineage(info: Info, result: Traversal) -> FieldLineage:
    reached = [n for n in result.nodes.values() if n.via is not None]
    fields = await info.context.loaders.field.load_many([n.id for n in reached])
    hops = [
        FieldHop(
            field=FieldNode.from_model(f),
            distance=abs(n.depth),
            via=LineageEdgeNode.from_model(n.via),  # type: ignore[arg-type]
        )
        for n, f in zip(reached, fields, strict=True)
        if f is not None
    ]
    hops.sort(key=lambda h: (h.distance, h.field.name, str(h.field.id)))
    return FieldLineage(
        hops=hops,
        truncated=result.truncated,
        frontier=[strawberry.ID(i) for i in sorted(result.frontier)],
    )


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
