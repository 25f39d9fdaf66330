"""Domain objects as the store returns them: no driver types and no GraphQL types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Tables with no source share this key, so that qualified names are unique among manual tables.
MANUAL_SOURCE_KEY = "manual"


class TableKind(Enum):
    TABLE = "TABLE"
    VIEW = "VIEW"
    MATERIALIZED_VIEW = "MATERIALIZED_VIEW"
    COLLECTION = "COLLECTION"
    INDEX = "INDEX"
    ALIAS = "ALIAS"  # an Elasticsearch alias: a name for one or more indices
    DATA_STREAM = "DATA_STREAM"  # an Elasticsearch data stream, over its backing indices
    FILE = "FILE"
    OTHER = "OTHER"


class SourceType(Enum):
    ORACLE = "ORACLE"
    MONGODB = "MONGODB"
    ELASTICSEARCH = "ELASTICSEARCH"
    POSTGRESQL = "POSTGRESQL"
    MYSQL = "MYSQL"


def qualified_name(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


def _native(value: Any) -> Any:
    # neo4j.time.DateTime -> datetime.datetime; everything else passes through.
    to_native = getattr(value, "to_native", None)
    return to_native() if callable(to_native) else value


SECRET_NAMES = ("password", "api_key", "uri")
CONNECTION_SETTINGS = (
    "host",
    "port",
    "database",
    "service_name",
    "sid",
    "username",
    "tls_enabled",
    "tls_ca_certificate",
    "tls_verify_hostname",
    "connect_timeout",
    "query_timeout",
)


@dataclass(frozen=True, kw_only=True)
class ConnectionSettings:
    """How to reach a source, without its secrets."""

    host: str | None = None
    port: int | None = None
    database: str | None = None
    service_name: str | None = None
    sid: str | None = None
    username: str | None = None
    tls_enabled: bool = False
    tls_ca_certificate: str | None = None
    tls_verify_hostname: bool = True
    connect_timeout: float | None = None
    query_timeout: float | None = None


@dataclass(frozen=True, kw_only=True)
class ConnectionTestSummary:
    at: datetime
    ok: bool
    reason: str | None
    message: str | None
    latency_ms: float | None
    product: str | None
    version: str | None


@dataclass(frozen=True, kw_only=True)
class ScanSchedule:
    """When a source is scanned by itself: a cron expression in a time zone."""

    cron: str
    time_zone: str
    enabled: bool
    namespaces: tuple[str, ...]
    next_run_at: datetime | None

    @classmethod
    def from_source_row(cls, row: dict[str, Any]) -> ScanSchedule | None:
        if not row.get("schedule_cron"):
            return None
        return cls(
            cron=row["schedule_cron"],
            time_zone=row.get("schedule_time_zone") or "UTC",
            enabled=bool(row.get("schedule_enabled")),
            namespaces=tuple(row.get("schedule_namespaces") or ()),
            next_run_at=_native(row.get("schedule_next_at")),
        )


@dataclass(frozen=True, kw_only=True)
class Source:
    id: str
    name: str
    type: SourceType
    description: str | None
    active: bool
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    # Which secrets are stored (their values never leave the service).
    secrets_set: frozenset[str] = frozenset()
    last_test: ConnectionTestSummary | None = None
    created_at: datetime
    updated_at: datetime
    scan_schedule: ScanSchedule | None = None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> Source:
        last_test = None
        if row.get("last_test_at") is not None:
            last_test = ConnectionTestSummary(
                at=_native(row["last_test_at"]),
                ok=bool(row.get("last_test_ok")),
                reason=row.get("last_test_reason"),
                message=row.get("last_test_message"),
                latency_ms=row.get("last_test_latency_ms"),
                product=row.get("last_test_product"),
                version=row.get("last_test_version"),
            )
        settings = {
            k: row[f"conn_{k}"] for k in CONNECTION_SETTINGS if row.get(f"conn_{k}") is not None
        }
        return cls(
            id=row["id"],
            name=row["name"],
            type=SourceType(row["type"]),
            description=row.get("description"),
            active=bool(row.get("active", True)),
            connection=ConnectionSettings(**settings),
            secrets_set=frozenset(n for n in SECRET_NAMES if row.get(f"secret_{n}")),
            last_test=last_test,
            created_at=_native(row["created_at"]),
            updated_at=_native(row["updated_at"]),
            scan_schedule=ScanSchedule.from_source_row(row),
        )


@dataclass(frozen=True, kw_only=True)
class Table:
    id: str
    name: str
    schema: str | None
    kind: TableKind
    description: str | None
    tags: list[str] = field(default_factory=list)
    source_id: str | None
    created_at: datetime
    updated_at: datetime
    comment: str | None = None  # the database's own comment, as a scan last read it
    definition: str | None = None  # a view's defining SQL, as the database gives it
    # Set when a scan no longer found it in its source: since when, and which scan.
    missing_since: datetime | None = None
    missing_scan_id: str | None = None

    @property
    def qualified_name(self) -> str:
        return qualified_name(self.schema, self.name)

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> Table:
        source_key = row.get("source_key")
        return cls(
            id=row["id"],
            name=row["name"],
            schema=row.get("schema"),
            kind=TableKind(row["kind"]),
            description=row.get("description"),
            tags=list(row.get("tags") or []),
            source_id=None if source_key in (None, MANUAL_SOURCE_KEY) else source_key,
            created_at=_native(row["created_at"]),
            updated_at=_native(row["updated_at"]),
            comment=row.get("comment"),
            definition=row.get("definition"),
            missing_since=_native(row.get("missing_since")),
            missing_scan_id=row.get("missing_scan_id"),
        )


@dataclass(frozen=True, kw_only=True)
class Field:
    id: str
    table_id: str
    name: str
    data_type: str | None
    nullable: bool
    primary_key: bool
    ordinal_position: int | None
    description: str | None
    tags: list[str] = field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    comment: str | None = None  # the database's own comment, as a scan last read it
    generated: str | None = None  # how the database fills it (see ColumnInfo.generated)
    missing_since: datetime | None = None  # set when a scan no longer found the column
    missing_scan_id: str | None = None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> Field:
        return cls(
            id=row["id"],
            table_id=row["table_id"],
            name=row["name"],
            data_type=row.get("data_type"),
            nullable=bool(row.get("nullable", True)),
            primary_key=bool(row.get("primary_key", False)),
            ordinal_position=row.get("ordinal_position"),
            description=row.get("description"),
            tags=list(row.get("tags") or []),
            created_at=_native(row["created_at"]),
            updated_at=_native(row["updated_at"]),
            comment=row.get("comment"),
            generated=row.get("generated"),
            missing_since=_native(row.get("missing_since")),
            missing_scan_id=row.get("missing_scan_id"),
        )


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool
    total_count: int


@dataclass(frozen=True, kw_only=True)
class SearchHit:
    item: Table | Field
    score: float


@dataclass(frozen=True, kw_only=True)
class ConnectionTestRecord:
    """An audit record of one connection test or introspection."""

    id: str
    source_id: str | None
    source_name: str | None
    operation: str  # CONNECTION_TEST or INTROSPECTION
    table_name: str | None
    actor: str
    ok: bool
    reason: str | None
    message: str | None
    hint: str | None
    latency_ms: float | None
    product: str | None
    version: str | None
    at: datetime
    detail: str | None = None  # the server's or driver's own words, scrubbed: ADMIN only

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> ConnectionTestRecord:
        return cls(
            id=row["id"],
            source_id=row.get("source_id"),
            source_name=row.get("source_name"),
            operation=row["operation"],
            table_name=row.get("table_name"),
            actor=row["actor"],
            ok=bool(row["ok"]),
            reason=row.get("reason"),
            message=row.get("message"),
            hint=row.get("hint"),
            detail=row.get("detail"),
            latency_ms=row.get("latency_ms"),
            product=row.get("product"),
            version=row.get("version"),
            at=_native(row["at"]),
        )


@dataclass(frozen=True, kw_only=True)
class Change:
    id: str
    entity_id: str
    entity_type: str
    action: str
    actor: str
    at: datetime
    before: str | None
    after: str | None
    comment: str | None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> Change:
        return cls(
            id=row["id"],
            entity_id=row["entity_id"],
            entity_type=row["entity_type"],
            action=row["action"],
            actor=row["actor"],
            at=_native(row["at"]),
            before=row.get("before"),
            after=row.get("after"),
            comment=row.get("comment"),
        )


class LineageLevel(Enum):
    """The node label lineage runs between; also fills the __NODE__ slot of Cypher."""

    TABLE = "Table"
    FIELD = "Field"


class LineageSource(Enum):
    INFERRED = "INFERRED"
    MANUAL = "MANUAL"
    APPROVED = "APPROVED"


# What each provenance means for confidence and review: graph_api/lineage_rules.py.


class ReviewState(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    NOT_REQUIRED = "NOT_REQUIRED"


class TransformationType(Enum):
    DIRECT = "DIRECT"
    COPY = "COPY"
    ETL = "ETL"
    VIEW = "VIEW"
    AGGREGATION = "AGGREGATION"
    FILTER = "FILTER"
    JOIN = "JOIN"
    SPLIT = "SPLIT"
    CUSTOM = "CUSTOM"
    # Columns that shape the result without carrying their values (OpenLineage's INDIRECT
    # subtypes; JOIN and FILTER above are two of them): GROUP BY keys, ORDER BY, a window's
    # PARTITION BY / ORDER BY, a CASE condition.
    GROUP_BY = "GROUP_BY"
    SORT = "SORT"
    WINDOW = "WINDOW"
    CONDITIONAL = "CONDITIONAL"


class Direction(Enum):
    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    BOTH = "BOTH"


@dataclass(frozen=True, kw_only=True)
class LineageEdge:
    id: str
    level: LineageLevel
    upstream_id: str
    downstream_id: str
    lineage_source: LineageSource
    confidence: float
    transformation_type: TransformationType | None
    transformation_logic: str | None
    description: str | None
    review_state: ReviewState
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    # False for a table edge that exists only because field edges run between the tables.
    explicit: bool
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> LineageEdge:
        transformation = row.get("transformation_type")
        reviewed_at = row.get("reviewed_at")
        return cls(
            id=row["id"],
            level=LineageLevel[row["level"]],
            upstream_id=row["upstream_id"],
            downstream_id=row["downstream_id"],
            lineage_source=LineageSource(row["lineage_source"]),
            confidence=float(row["confidence"]),
            transformation_type=TransformationType(transformation) if transformation else None,
            transformation_logic=row.get("transformation_logic"),
            description=row.get("description"),
            review_state=ReviewState(row["review_state"]),
            reviewed_by=row.get("reviewed_by"),
            reviewed_at=_native(reviewed_at) if reviewed_at is not None else None,
            review_comment=row.get("review_comment"),
            explicit=bool(row.get("explicit", True)),
            created_by=row.get("created_by") or "unknown",
            created_at=_native(row["created_at"]),
            updated_at=_native(row["updated_at"]),
        )


@dataclass(frozen=True)
class User:
    """A person (or robot) who signs in. The password hash never leaves the store layer."""

    id: str
    username: str
    role: str
    disabled: bool
    created_at: datetime
    updated_at: datetime
    # Sign-in tokens issued before this no longer count (set when the password changes).
    signed_out_at: datetime | None = None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> User:
        return cls(
            id=row["id"],
            username=row["username"],
            role=row["role"],
            disabled=bool(row.get("disabled", False)),
            created_at=_native(row["created_at"]),
            updated_at=_native(row["updated_at"]),
            signed_out_at=_native(row.get("signed_out_at")),
        )


@dataclass(frozen=True)
class ApiToken:
    """A long-lived token for automation; only its digest is stored, and never returned."""

    id: str
    name: str
    user_id: str
    username: str
    hint: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> ApiToken:
        return cls(
            id=row["id"],
            name=row["name"],
            user_id=row["user_id"],
            username=row["username"],
            hint=row["hint"],
            created_at=_native(row["created_at"]),
            expires_at=_native(row.get("expires_at")),
            last_used_at=_native(row.get("last_used_at")),
            revoked_at=_native(row.get("revoked_at")),
        )


# Origins: who or what asserts lineage (README, "Lineage rules").


class OriginKind(Enum):
    """What asserts an edge: a person (the API), an import file, a view's definition scanned
    from a source, a SQL text someone submitted, a dbt project, an OpenLineage job."""

    PERSON = "PERSON"
    IMPORT = "IMPORT"
    VIEW = "VIEW"
    SQL = "SQL"
    DBT = "DBT"
    OPENLINEAGE = "OPENLINEAGE"


@dataclass(frozen=True, kw_only=True)
class Origin:
    """An origin as a writer names it. `key` is stable per origin and unique within its kind:
    a username, an import's file name, "<source id>/<schema.view>", a SQL fingerprint, a dbt
    project name, "<namespace>/<job>" for OpenLineage. `label` is what people read."""

    kind: OriginKind
    key: str
    label: str


@dataclass(frozen=True, kw_only=True)
class Assertion:
    """One edge an origin asserts, between two Clew tables or two Clew fields (by id), with
    the evidence for it (e.g. {"sql": ..., "expression": ...}, {"uniqueId": ...},
    {"runId": ..., "facet": ...})."""

    level: LineageLevel
    source_id: str
    target_id: str
    transformation: TransformationType | None = None
    confidence: float | None = None
    logic: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class OriginRecord:
    """An origin as Clew keeps it (a :Origin node)."""

    id: str
    kind: OriginKind
    key: str
    label: str
    trusted_by: str | None
    trusted_at: datetime | None
    trust_comment: str | None
    created_at: datetime
    last_ingested_at: datetime | None
    last_ingested_by: str | None

    @property
    def trusted(self) -> bool:
        return self.trusted_by is not None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> OriginRecord:
        return cls(
            id=row["id"],
            kind=OriginKind(row["kind"]),
            key=row["key"],
            label=row["label"],
            trusted_by=row.get("trusted_by"),
            trusted_at=_native(row.get("trusted_at")),
            trust_comment=row.get("trust_comment"),
            created_at=_native(row["created_at"]),
            last_ingested_at=_native(row.get("last_ingested_at")),
            last_ingested_by=row.get("last_ingested_by"),
        )


@dataclass(frozen=True, kw_only=True)
class AssertionRecord:
    """One origin's assertion of one edge, as kept (a :Assertion node, keyed by origin and
    edge), with its evidence and when the origin first and last asserted it."""

    origin_id: str
    edge_id: str
    level: LineageLevel
    transformation: TransformationType | None
    confidence: float | None
    logic: str | None
    evidence: dict[str, str]
    first_seen: datetime
    last_seen: datetime

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> AssertionRecord:
        transformation = row.get("transformation_type")
        evidence = row.get("evidence")
        return cls(
            origin_id=row["origin_id"],
            edge_id=row["edge_id"],
            level=LineageLevel[row["level"]],
            transformation=TransformationType(transformation) if transformation else None,
            confidence=row.get("confidence"),
            logic=row.get("logic"),
            evidence=dict(json.loads(evidence)) if evidence else {},
            first_seen=_native(row["first_seen"]),
            last_seen=_native(row["last_seen"]),
        )
