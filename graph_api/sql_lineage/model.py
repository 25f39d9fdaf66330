"""What the SQL parser answers: field and table edges between catalog ids, each with its
transformation, confidence and evidence; the names it could not resolve; the statements it
could not parse. Plain data, no sqlglot types."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from graph_api.models import TransformationType


class Dialect(Enum):
    GENERIC = ""
    ORACLE = "oracle"
    POSTGRES = "postgres"
    MYSQL = "mysql"


class NameKind(Enum):
    TABLE = "TABLE"
    COLUMN = "COLUMN"


@dataclass(frozen=True, kw_only=True)
class CatalogField:
    id: str
    name: str
    data_type: str | None = None


@dataclass(frozen=True, kw_only=True)
class CatalogTable:
    id: str
    schema: str | None
    name: str
    fields: tuple[CatalogField, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True, kw_only=True)
class Position:
    """Where in the submitted text (1-based line and column; offset from 0)."""

    line: int
    column: int
    offset: int


@dataclass(frozen=True, kw_only=True)
class ProposedFieldEdge:
    upstream_id: str
    downstream_id: str
    upstream_name: str  # schema.table.column as the catalog spells it
    downstream_name: str
    transformation: TransformationType
    confidence: float
    expression: str  # the output expression the downstream column comes from
    statement: int  # index of the statement in the script


@dataclass(frozen=True, kw_only=True)
class ProposedTableEdge:
    upstream_id: str
    downstream_id: str
    upstream_name: str
    downstream_name: str
    confidence: float
    statement: int


@dataclass(frozen=True, kw_only=True)
class Unresolved:
    kind: NameKind
    name: str  # as written
    statement: int
    message: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Unparsed:
    statement: int
    position: Position
    reason: str
    text: str  # the beginning of the statement


@dataclass(frozen=True, kw_only=True)
class StatementReport:
    index: int
    position: Position
    kind: str  # INSERT, CREATE_TABLE_AS, CREATE_VIEW, MERGE, UPDATE, SELECT, OTHER, UNPARSED
    target: str | None
    text: str
    fingerprint: str
    confidence: float | None
    note: str | None = None


@dataclass(kw_only=True)
class SqlProposal:
    fingerprint: str  # of the whole script: the SQL origin's key
    dialect: Dialect
    statements: list[StatementReport] = field(default_factory=list)
    field_edges: list[ProposedFieldEdge] = field(default_factory=list)
    table_edges: list[ProposedTableEdge] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)
