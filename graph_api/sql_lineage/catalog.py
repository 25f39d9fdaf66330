"""The catalog's tables as the parser sees them: looked up by name without regard to case,
a bare name through the default schema (or when only one schema has it), and handed to
sqlglot as its schema (always: its lineage() needs one to expand `*` and resolve columns)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graph_api.names import close_names
from graph_api.sql_lineage.model import CatalogField, CatalogTable

# sqlglot's schema keys: one depth throughout, so bare tables sit under this schema name.
NO_SCHEMA = "_clew_no_schema"


@dataclass(frozen=True)
class Found:
    table: CatalogTable | None
    # When not found: names close to it; when ambiguous: every table it could be.
    candidates: tuple[str, ...] = ()
    ambiguous: bool = False


class Catalog:
    def __init__(self, tables: Iterable[CatalogTable], *, default_schema: str | None = None):
        self.tables = list(tables)
        self.default_schema = default_schema.lower() if default_schema else None
        self._by_qualified: dict[str, CatalogTable] = {}
        self._by_name: dict[str, list[CatalogTable]] = {}
        for table in self.tables:
            self._by_qualified.setdefault(table.qualified_name.lower(), table)
            self._by_name.setdefault(table.name.lower(), []).append(table)

    def find(self, schema: str | None, name: str) -> Found:
        if schema:
            table = self._by_qualified.get(f"{schema}.{name}".lower())
            if table is None and "." in schema:  # db.schema.table: try schema.table
                table = self._by_qualified.get(f"{schema.rsplit('.', 1)[1]}.{name}".lower())
            if table:
                return Found(table)
        else:
            named = self._by_name.get(name.lower(), [])
            if self.default_schema:
                for table in named:
                    if (table.schema or "").lower() == self.default_schema:
                        return Found(table)
            if len(named) == 1:
                return Found(named[0])
            if len(named) > 1:
                return Found(None, tuple(sorted(t.qualified_name for t in named)), ambiguous=True)
        wanted = f"{schema}.{name}" if schema else name
        return Found(None, tuple(close_names(wanted, (t.qualified_name for t in self.tables))))

    @staticmethod
    def field(table: CatalogTable, name: str) -> CatalogField | None:
        lowered = name.lower()
        for f in table.fields:
            if f.name.lower() == lowered:
                return f
        return None

    @staticmethod
    def close_fields(table: CatalogTable, name: str) -> tuple[str, ...]:
        return tuple(close_names(name, (f.name for f in table.fields)))


def schema_key(table: CatalogTable) -> str:
    return (table.schema or NO_SCHEMA).lower()


def sqlglot_schema(tables: Iterable[CatalogTable]) -> dict[str, object]:
    """{schema: {table: {column: type}}} in lower case, columns in the catalog's order. Every
    type is TEXT: lineage needs only the names, and a catalog type sqlglot cannot read (a
    MongoDB or Elasticsearch type) would fail the statement."""
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for table in tables:
        schema.setdefault(schema_key(table), {})[table.name.lower()] = {
            f.name.lower(): "TEXT" for f in table.fields
        }
    return dict(schema)
