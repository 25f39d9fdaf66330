"""SQL lineage: what a SQL text or script says about column lineage, resolved against the
catalog's own tables (a leaf: sqlglot and the domain models only; no store, no GraphQL).

`propose(sql, dialect=..., catalog=Catalog(tables))` answers a SqlProposal; `referenced_tables`
says which tables to fetch from the catalog first."""

from __future__ import annotations

from graph_api.sql_lineage.catalog import Catalog
from graph_api.sql_lineage.model import (
    CatalogField,
    CatalogTable,
    Dialect,
    NameKind,
    Position,
    ProposedFieldEdge,
    ProposedTableEdge,
    SqlProposal,
    StatementReport,
    Unparsed,
    Unresolved,
)
from graph_api.sql_lineage.propose import confidence, fingerprint, propose, referenced_tables

__all__ = [
    "Catalog",
    "CatalogField",
    "CatalogTable",
    "Dialect",
    "NameKind",
    "Position",
    "ProposedFieldEdge",
    "ProposedTableEdge",
    "SqlProposal",
    "StatementReport",
    "Unparsed",
    "Unresolved",
    "confidence",
    "fingerprint",
    "propose",
    "referenced_tables",
]
