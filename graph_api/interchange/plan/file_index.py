"""The file's own rows, by natural key and by id: what later rows refer to before anything
is written, and how rows and tables are named in messages."""

from __future__ import annotations

from typing import Any

from graph_api.interchange.format import FIELDS, SOURCES, TABLE_LINEAGE, TABLES, Section
from graph_api.interchange.plan.lookups import Lookups
from graph_api.interchange.plan.rows import Entry
from graph_api.interchange.report import Place
from graph_api.interchange.validate import ParsedRow
from graph_api.models import MANUAL_SOURCE_KEY, qualified_name


class FileIndex:
    def __init__(self, places: list[Place], lookups: Lookups) -> None:
        self.places = places
        self.lookups = lookups
        self.sources_by_name: dict[str, Entry] = {}
        self.sources_by_id: dict[str, Entry] = {}
        self.tables_by_key: dict[tuple[str, str], Entry] = {}
        self.tables_by_id: dict[str, Entry] = {}
        self.fields_by_key: dict[tuple[str, str], Entry] = {}
        self.fields_by_id: dict[str, Entry] = {}
        self.field_names_in_file: dict[str, list[str]] = {}
        self.table_names_in_file: dict[str, list[str]] = {}
        self.edge_rows: dict[tuple[str, str, str], Entry] = {}
        self.edge_ids: dict[str, Entry] = {}
        self.table_labels: dict[str, str] = {}
        self.source_names: dict[str, str] = {}  # source id -> name, from the file and catalog

    def register_invalid(self, section: Section, parsed: ParsedRow) -> None:
        """Remember an invalid row's key, so rows referring to it say where the trouble is."""
        v = parsed.values
        entry = Entry(None, parsed.row, parsed.place)
        if section is SOURCES and v.get("name"):
            self.sources_by_name.setdefault(v["name"], entry)
        elif section is TABLES and v.get("name"):
            key = self.file_table_key(v.get("source"), v.get("schema"), v["name"])
            if key is not None:
                self.tables_by_key.setdefault(key, entry)
            if v.get("id"):
                self.tables_by_id.setdefault(v["id"], entry)
        elif section is FIELDS and v.get("id"):
            self.fields_by_id.setdefault(v["id"], entry)

    def file_table_key(
        self, source: str | None, schema: str | None, name: str
    ) -> tuple[str, str] | None:
        if source:
            entry = self.sources_by_name.get(source)
            if entry is None or entry.id is None:
                cached = self.lookups.peek("source_name", source)
                return (cached["id"], qualified_name(schema, name)) if cached else None
            return (entry.id, qualified_name(schema, name))
        return (MANUAL_SOURCE_KEY, qualified_name(schema, name))

    def key_text(self, section: Section, parsed: ParsedRow) -> str:
        v = parsed.values
        if section is SOURCES:
            return str(v.get("name") or v.get("id") or "")
        if section is TABLES:
            return qualified_name(v.get("schema"), v.get("name") or "?")
        if section is FIELDS:
            return f"{v.get('table') or v.get('table_id') or '?'}.{v.get('name') or '?'}"
        if section is TABLE_LINEAGE:
            return (
                f"{v.get('upstream_table') or v.get('upstream_table_id') or '?'} -> "
                f"{v.get('downstream_table') or v.get('downstream_table_id') or '?'}"
            )
        ends = []
        for role in ("upstream", "downstream"):
            field_name = v.get(f"{role}_field") or v.get(f"{role}_field_id") or "?"
            ends.append(f"{v.get(f'{role}_table') or ''}.{field_name}")
        return " -> ".join(ends)

    def table_label(self, source_key: str | None, qn: str) -> str:
        if source_key in (None, MANUAL_SOURCE_KEY):
            return f"'{qn}'"
        source = self.source_names.get(source_key)
        return f"'{qn}' of source '{source}'" if source else f"'{qn}'"

    def label_of_table(self, table_id: str) -> str:
        if table_id in self.table_labels:
            return self.table_labels[table_id]
        rec = self.lookups.peek("table_id", table_id)
        if rec:
            return self.table_label(rec.get("source_key"), rec["qualified_name"])
        return f"(id {table_id})"

    def where(self, entry: Entry) -> str:
        place = self.places[entry.place]
        return place.at(entry.row)

    def source_name(self, source_key: Any) -> str | None:
        if source_key in (None, MANUAL_SOURCE_KEY):
            return None
        return self.source_names.get(source_key, source_key)

    def short_table(self, table_id: str) -> str:
        label = self.label_of_table(table_id)
        return label.split("'")[1] if label.startswith("'") else label
