"""The second pass: each row against the rest of the file and the catalog.

Sections are planned in order (sources, tables, fields, table lineage, field lineage), a batch
at a time. For each row the planner resolves what it refers to (in the file first, then in
the catalog), finds the entity or edge it is about (by id, else by natural key), asks the
lineage rules (graph_api/lineage_rules.py) what an edge becomes, and decides: create, update
(with the exact changes), unchanged, kept (an existing edge wins over an INFERRED row) or
skipped (the row has errors).

The planner only reads. Reads are batched: a batch is resolved in rounds, each round asking
the catalog once for everything the rows still miss, so a batch of a thousand rows costs a
handful of statements. What to write comes back as a `BatchPlan` for the service to apply.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from graph_api import lineage_rules as rules
from graph_api.models import (
    MANUAL_SOURCE_KEY,
    LineageLevel,
    LineageSource,
    ReviewState,
    qualified_name,
)
from graph_api.transfer.format import (
    FIELD_LINEAGE,
    FIELDS,
    SOURCES,
    TABLE_LINEAGE,
    TABLES,
    Section,
    shown,
    suggest,
)
from graph_api.transfer.report import Place, Problem, ProblemCode, Report, Severity, severity_of
from graph_api.transfer.validate import ParsedRow

Record = dict[str, Any]
SUGGESTION_POOL = 5000


class CatalogReader(Protocol):
    """Batched reads of the catalog, as the planner needs them (see store/transfer.py)."""

    async def sources(self, *, ids: list[str], names: list[str]) -> list[Record]: ...
    async def tables(self, *, ids: list[str], keys: list[tuple[str, str]]) -> list[Record]: ...
    async def fields(self, *, ids: list[str], keys: list[tuple[str, str]]) -> list[Record]: ...
    async def edges(
        self, level: LineageLevel, *, ids: list[str], pairs: list[tuple[str, str]]
    ) -> tuple[list[Record], list[Record]]: ...
    async def ids_in_use(self, ids: list[str]) -> dict[str, str]: ...
    async def source_names(self, *, limit: int) -> list[str]: ...
    async def table_names(self, source_keys: list[str], *, limit: int) -> dict[str, list[str]]: ...
    async def field_names(self, table_ids: list[str]) -> dict[str, list[str]]: ...
    async def last_ordinals(self, table_ids: list[str]) -> dict[str, int]: ...


@dataclass(frozen=True)
class AuditEntry:
    entity_id: str
    entity_type: str
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    comment: str | None = None


@dataclass
class BatchPlan:
    section: str
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    # Field lineage: table pairs whose implied table edge must be brought up to date.
    refresh_pairs: list[tuple[str, str]] = field(default_factory=list)
    rows: int = 0

    @property
    def writes(self) -> int:
        return len(self.creates) + len(self.updates)


@dataclass(slots=True)
class _Entry:
    """A row of the file, by its natural key or id: the id it resolves to (None when the row
    has errors), where it is, and for a field its table."""

    id: str | None
    row: int
    place: int
    table_id: str | None = None
    name: str | None = None


class _Need(Exception):
    """A catalog read is missing; the batch fetches what all rows miss and tries again."""


_MISSING = object()


@dataclass
class _Needs:
    sets: dict[str, set[Hashable]] = field(default_factory=dict)

    def add(self, kind: str, key: Hashable) -> None:
        self.sets.setdefault(kind, set()).add(key)

    def __bool__(self) -> bool:
        return any(self.sets.values())


# Kinds of record an id may already belong to, as a report names them; ids of accounts, tokens
# and jobs are not named (an importer learns only that the id is taken).
_ID_OWNERS = {"SOURCE": "source", "TABLE": "table", "FIELD": "field", "LINEAGE": "lineage edge"}


class _RowError(Exception):
    """The row cannot be resolved; its problems are already recorded."""


@dataclass
class _Row:
    """What planning one row decided, applied (committed) only in the batch's final round."""

    parsed: ParsedRow
    problems: list[tuple[ProblemCode, str, str | None, Any, str | None]] = field(
        default_factory=list
    )
    commits: list[Callable[[], None]] = field(default_factory=list)

    def problem(
        self,
        code: ProblemCode,
        sentence: str,
        *,
        column: str | None = None,
        value: Any = None,
        suggestion: str | None = None,
    ) -> None:
        self.problems.append((code, sentence, column, value, suggestion))

    @property
    def has_errors(self) -> bool:
        return any(severity_of(p[0]) is Severity.ERROR for p in self.problems)


def _enum(cls: Any, value: Any) -> Any:
    return None if value is None else cls(value)


class Planner:
    def __init__(
        self,
        catalog: CatalogReader,
        report: Report,
        places: list[Place],
        *,
        actor: str,
        allow_downgrade: bool,
        comment: str,
        may_review: bool = True,
        may_manage_sources: bool = True,
    ) -> None:
        self.catalog = catalog
        self.report = report
        self.places = places
        self.actor = actor
        self.allow_downgrade = allow_downgrade
        # Approving and rejecting lineage is a steward's call, and sources an administrator's,
        # in a file as in the API.
        self.may_review = may_review
        self.may_manage_sources = may_manage_sources
        self.comment = comment
        # The file's rows by natural key and by the id they carry.
        self.sources_by_name: dict[str, _Entry] = {}
        self.sources_by_id: dict[str, _Entry] = {}
        self.tables_by_key: dict[tuple[str, str], _Entry] = {}
        self.tables_by_id: dict[str, _Entry] = {}
        self.fields_by_key: dict[tuple[str, str], _Entry] = {}
        self.fields_by_id: dict[str, _Entry] = {}
        self.field_names_in_file: dict[str, list[str]] = {}
        self.table_names_in_file: dict[str, list[str]] = {}
        self.edge_rows: dict[tuple[str, str, str], _Entry] = {}
        self.edge_ids: dict[str, _Entry] = {}
        # Ids of implied table edges the file carries, to keep them when Clew creates them.
        self.implied_rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.table_labels: dict[str, str] = {}
        self.source_names: dict[str, str] = {}  # source id -> name
        self.ordinals: dict[str, int] = {}
        # Catalog reads: sources for the whole import (few), the rest per batch.
        self._cache: dict[str, dict[Hashable, Any]] = {}
        self._needs = _Needs()

    # Reading the catalog in rounds

    def _look(self, kind: str, key: Hashable) -> Any:
        cache = self._cache.setdefault(kind, {})
        if key in cache:
            return cache[key]
        self._needs.add(kind, key)
        raise _Need()

    async def _fetch(self, needs: _Needs) -> None:
        self._needs_now = needs
        fetchers: dict[str, Callable[[list[Any]], Awaitable[None]]] = {
            "source_name": self._fetch_sources,
            "source_id": self._fetch_sources,
            "table_key": self._fetch_tables,
            "table_id": self._fetch_tables,
            "field_key": self._fetch_fields,
            "field_id": self._fetch_fields,
            "edge_TABLE": self._fetch_edges,
            "edge_FIELD": self._fetch_edges,
            "id_in_use": self._fetch_ids_in_use,
            "table_names": self._fetch_table_names,
            "field_names": self._fetch_field_names,
            "ordinal": self._fetch_ordinals,
            "source_names": self._fetch_source_names,
        }
        done: set[Callable[..., Any]] = set()
        for kind in list(needs.sets):
            fetch = fetchers[kind]
            if fetch in done:
                continue
            done.add(fetch)
            await fetch([])  # each fetcher reads what it needs from self._needs_now

    def _wanted(self, *kinds: str) -> list[list[Any]]:
        return [sorted(self._needs_now.sets.get(k, set()), key=repr) for k in kinds]

    async def _fetch_sources(self, _: list[Any]) -> None:
        names, ids = self._wanted("source_name", "source_id")
        rows = await self.catalog.sources(ids=ids, names=names)
        by_name = self._cache.setdefault("source_name", {})
        by_id = self._cache.setdefault("source_id", {})
        for name in names:
            by_name.setdefault(name, None)
        for sid in ids:
            by_id.setdefault(sid, None)
        for rec in rows:
            by_name[rec["name"]] = rec
            by_id[rec["id"]] = rec
            self.source_names[rec["id"]] = rec["name"]

    async def _fetch_tables(self, _: list[Any]) -> None:
        keys, ids = self._wanted("table_key", "table_id")
        rows = await self.catalog.tables(ids=ids, keys=keys)
        by_key = self._cache.setdefault("table_key", {})
        by_id = self._cache.setdefault("table_id", {})
        for key in keys:
            by_key.setdefault(key, None)
        for tid in ids:
            by_id.setdefault(tid, None)
        for rec in rows:
            by_key[(rec["source_key"], rec["qualified_name"])] = rec
            by_id[rec["id"]] = rec

    async def _fetch_fields(self, _: list[Any]) -> None:
        keys, ids = self._wanted("field_key", "field_id")
        rows = await self.catalog.fields(ids=ids, keys=keys)
        by_key = self._cache.setdefault("field_key", {})
        by_id = self._cache.setdefault("field_id", {})
        for key in keys:
            by_key.setdefault(key, None)
        for fid in ids:
            by_id.setdefault(fid, None)
        for rec in rows:
            by_key[(rec["table_id"], rec["name"])] = rec
            by_id[rec["id"]] = rec

    async def _fetch_edges(self, _: list[Any]) -> None:
        for level in LineageLevel:
            wanted = self._wanted(f"edge_{level.name}")[0]
            if not wanted:
                continue
            ids = [k[1] for k in wanted if k[0] == "id"]
            pairs = [(k[1], k[2]) for k in wanted if k[0] == "pair"]
            by_id, by_pair = await self.catalog.edges(level, ids=ids, pairs=pairs)
            cache = self._cache.setdefault(f"edge_{level.name}", {})
            for key in wanted:
                cache.setdefault(key, None)
            for rec in by_id:
                cache[("id", rec["id"])] = rec
            for rec in by_pair:
                cache[("pair", rec["upstream_id"], rec["downstream_id"])] = rec

    async def _fetch_ids_in_use(self, _: list[Any]) -> None:
        (ids,) = self._wanted("id_in_use")
        found = await self.catalog.ids_in_use(ids)
        cache = self._cache.setdefault("id_in_use", {})
        for i in ids:
            cache[i] = found.get(i)

    async def _fetch_table_names(self, _: list[Any]) -> None:
        (keys,) = self._wanted("table_names")
        found = await self.catalog.table_names(keys, limit=SUGGESTION_POOL)
        cache = self._cache.setdefault("table_names", {})
        for key in keys:
            cache[key] = found.get(key, [])

    async def _fetch_field_names(self, _: list[Any]) -> None:
        (ids,) = self._wanted("field_names")
        found = await self.catalog.field_names(ids)
        cache = self._cache.setdefault("field_names", {})
        for i in ids:
            cache[i] = found.get(i, [])

    async def _fetch_ordinals(self, _: list[Any]) -> None:
        (ids,) = self._wanted("ordinal")
        found = await self.catalog.last_ordinals(ids)
        cache = self._cache.setdefault("ordinal", {})
        for i in ids:
            cache[i] = found.get(i) or 0

    async def _fetch_source_names(self, _: list[Any]) -> None:
        names = await self.catalog.source_names(limit=SUGGESTION_POOL)
        self._cache.setdefault("source_names", {})[None] = names

    # Batches

    async def plan(self, section: Section, batch: list[ParsedRow]) -> BatchPlan:
        plan = BatchPlan(section.name, rows=len(batch))
        planner = {
            SOURCES.name: self._source_row,
            TABLES.name: self._table_row,
            FIELDS.name: self._field_row,
            TABLE_LINEAGE.name: self._table_edge_row,
            FIELD_LINEAGE.name: self._field_edge_row,
        }[section.name]
        # Per-batch caches; sources (few, and looked up by every section) stay.
        for kind in list(self._cache):
            if not kind.startswith("source"):
                del self._cache[kind]
        # Rounds: try every row; fetch in one go what any of them missed; again.
        pending = [p for p in batch if not p.invalid]
        for _ in range(12):
            self._needs = _Needs()
            for parsed in pending:
                try:
                    await planner(_Row(parsed), plan=None)
                except (_Need, _RowError):
                    pass
            if not self._needs:
                break
            await self._fetch(self._needs)
        # The final round decides and commits, row by row, in file order.
        summary = self.report.section(section.name)
        for parsed in batch:
            summary.rows += 1
            if parsed.invalid:
                self._register_invalid(section, parsed)
                summary.count("skipped", row=parsed.row, key=self._key_text(section, parsed))
                continue
            row = _Row(parsed)
            for _ in range(12):
                self._needs = _Needs()
                try:
                    await planner(row, plan=plan)
                    break
                except _Need:
                    await self._fetch(self._needs)
                    row = _Row(parsed)
                except _RowError:
                    break
            self._flush(section, row)
            if row.has_errors:
                self._register_invalid(section, parsed)
                summary.count("skipped", row=parsed.row, key=self._key_text(section, parsed))
            else:
                for commit in row.commits:
                    commit()
        return plan

    def _flush(self, section: Section, row: _Row) -> None:
        place = self.places[row.parsed.place]
        for code, sentence, column, value, hint in row.problems:
            text = f"{place.at(row.parsed.row, row.parsed.line)}: {sentence}"
            if hint:
                text += f" Did you mean '{hint}'?"
            self.report.add(
                Problem(
                    code,
                    text,
                    file=place.file,
                    section=section.name,
                    row=row.parsed.row,
                    column=column,
                    value=None if value is None else shown(value, 200),
                    suggestion=hint,
                    line=row.parsed.line,
                )
            )

    def _register_invalid(self, section: Section, parsed: ParsedRow) -> None:
        """Remember an invalid row's key, so rows referring to it say where the trouble is."""
        v = parsed.values
        entry = _Entry(None, parsed.row, parsed.place)
        if section is SOURCES and v.get("name"):
            self.sources_by_name.setdefault(v["name"], entry)
        elif section is TABLES and v.get("name"):
            key = self._file_table_key(v.get("source"), v.get("schema"), v["name"])
            if key is not None:
                self.tables_by_key.setdefault(key, entry)
            if v.get("id"):
                self.tables_by_id.setdefault(v["id"], entry)
        elif section is FIELDS and v.get("id"):
            self.fields_by_id.setdefault(v["id"], entry)

    def _file_table_key(
        self, source: str | None, schema: str | None, name: str
    ) -> tuple[str, str] | None:
        if source:
            entry = self.sources_by_name.get(source)
            if entry is None or entry.id is None:
                cached = self._cache.get("source_name", {}).get(source)
                return (cached["id"], qualified_name(schema, name)) if cached else None
            return (entry.id, qualified_name(schema, name))
        return (MANUAL_SOURCE_KEY, qualified_name(schema, name))

    def _key_text(self, section: Section, parsed: ParsedRow) -> str:
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

    # Labels in messages

    def _table_label(self, source_key: str | None, qn: str) -> str:
        if source_key in (None, MANUAL_SOURCE_KEY):
            return f"'{qn}'"
        source = self.source_names.get(source_key)
        return f"'{qn}' of source '{source}'" if source else f"'{qn}'"

    def _label_of_table(self, table_id: str) -> str:
        if table_id in self.table_labels:
            return self.table_labels[table_id]
        rec = self._cache.get("table_id", {}).get(table_id)
        if rec:
            return self._table_label(rec.get("source_key"), rec["qualified_name"])
        return f"(id {table_id})"

    def _where(self, entry: _Entry) -> str:
        place = self.places[entry.place]
        return place.at(entry.row)

    # References

    def _source_ref(
        self,
        row: _Row,
        name: str | None,
        source_id: str | None,
        *,
        name_column: str,
        id_column: str | None = None,
    ) -> str:
        """The source key (a source id, or 'manual') a row's source columns name."""
        by_name = by_id = None
        if source_id:
            entry = self.sources_by_id.get(source_id)
            if entry is not None:
                if entry.id is None:
                    row.problem(
                        ProblemCode.DEPENDS_ON_INVALID_ROW,
                        f"the source with id '{source_id}' is in {self._where(entry)}, "
                        "which has errors; fix that row first.",
                        column=id_column,
                        value=source_id,
                    )
                    raise _RowError()
                by_id = entry.id
            else:
                rec = self._look("source_id", source_id)
                if rec is None:
                    row.problem(
                        ProblemCode.UNKNOWN_REFERENCE,
                        f"no source has the id '{source_id}' in this file or in the "
                        "catalog; check the id, or clear it and give the source's name.",
                        column=id_column,
                        value=source_id,
                    )
                    raise _RowError()
                by_id = rec["id"]
        if name:
            entry = self.sources_by_name.get(name)
            if entry is not None:
                if entry.id is None:
                    row.problem(
                        ProblemCode.DEPENDS_ON_INVALID_ROW,
                        f"the source '{name}' is defined in {self._where(entry)}, which "
                        "has errors; fix that row first.",
                        column=name_column,
                        value=name,
                    )
                    raise _RowError()
                by_name = entry.id
            else:
                rec = self._look("source_name", name)
                if rec is None:
                    pool = list(self.sources_by_name) + self._look("source_names", None)
                    row.problem(
                        ProblemCode.UNKNOWN_REFERENCE,
                        f"the source '{name}' does not exist in this file or in the "
                        "catalog; add it to the sources sheet or correct the name.",
                        column=name_column,
                        value=name,
                        suggestion=suggest(name, pool),
                    )
                    raise _RowError()
                by_name = rec["id"]
        if by_id and by_name and by_id != by_name:
            row.problem(
                ProblemCode.CONFLICTING_REFERENCE,
                f"the source id '{source_id}' and the source name '{name}' name different "
                "sources; correct one of them or clear the id.",
                column=id_column,
                value=source_id,
            )
            raise _RowError()
        return by_id or by_name or MANUAL_SOURCE_KEY

    def _table_ref(
        self,
        row: _Row,
        *,
        role: str,
        source_column: str,
        schema_column: str,
        table_column: str,
        id_column: str | None,
    ) -> str:
        """The id of the table a row refers to by names and/or id."""
        v = row.parsed.values
        table_id, name = (v.get(id_column) if id_column else None), v.get(table_column)
        what = f"{role} table".strip()
        by_id = by_key = None
        if table_id:
            entry = self.tables_by_id.get(table_id)
            if entry is not None:
                if entry.id is None:
                    row.problem(
                        ProblemCode.DEPENDS_ON_INVALID_ROW,
                        f"the {what} with id '{table_id}' is in {self._where(entry)}, "
                        "which has errors; fix that row first.",
                        column=id_column,
                        value=table_id,
                    )
                    raise _RowError()
                by_id = entry.id
            else:
                rec = self._look("table_id", table_id)
                if rec is None:
                    row.problem(
                        ProblemCode.UNKNOWN_REFERENCE,
                        f"no table has the id '{table_id}' in this file or in the "
                        f"catalog; check the {id_column}, or clear it and give the "
                        "table's names.",
                        column=id_column,
                        value=table_id,
                    )
                    raise _RowError()
                by_id = rec["id"]
        if name and by_id is not None:
            # The id decides; names that match nothing are taken as out of date (for example
            # a table renamed further up in the same file), names of another table conflict.
            mark = len(row.problems)
            try:
                by_key = self._table_by_names(
                    row, v, what, source_column, schema_column, table_column, name
                )
            except _RowError:
                del row.problems[mark:]
        elif name:
            by_key = self._table_by_names(
                row, v, what, source_column, schema_column, table_column, name
            )
        if by_id and by_key and by_id != by_key:
            row.problem(
                ProblemCode.CONFLICTING_REFERENCE,
                f"the {id_column} '{table_id}' is the table {self._label_of_table(by_id)}, "
                f"but the names say {self._label_of_table(by_key)}; correct one of them "
                f"or clear the {id_column}.",
                column=id_column,
                value=table_id,
            )
            raise _RowError()
        result = by_id or by_key
        if result is None:
            alternative = f" or its id in '{id_column}'" if id_column else ""
            row.problem(
                ProblemCode.REQUIRED_VALUE,
                f"the {what} is missing; give its name in '{table_column}'{alternative}.",
                column=table_column,
            )
            raise _RowError()
        return result

    def _table_by_names(
        self,
        row: _Row,
        v: dict[str, Any],
        what: str,
        source_column: str,
        schema_column: str,
        table_column: str,
        name: str,
    ) -> str:
        source_key = self._source_ref(row, v.get(source_column), None, name_column=source_column)
        qn = qualified_name(v.get(schema_column), name)
        entry = self.tables_by_key.get((source_key, qn))
        if entry is not None:
            if entry.id is None:
                row.problem(
                    ProblemCode.DEPENDS_ON_INVALID_ROW,
                    f"the {what} {self._table_label(source_key, qn)} is defined in "
                    f"{self._where(entry)}, which has errors; fix that row first.",
                    column=table_column,
                    value=name,
                )
                raise _RowError()
            return entry.id
        rec = self._look("table_key", (source_key, qn))
        if rec is None:
            pool = self.table_names_in_file.get(source_key, []) + self._look(
                "table_names", source_key
            )
            row.problem(
                ProblemCode.UNKNOWN_REFERENCE,
                f"the {what} {self._table_label(source_key, qn)} does not exist in this "
                "file or in the catalog; add it to the tables sheet or correct the "
                "source, schema and name.",
                column=table_column,
                value=qn,
                suggestion=suggest(qn, pool),
            )
            raise _RowError()
        return str(rec["id"])

    def _field_ref(self, row: _Row, role: str) -> tuple[str, str, str]:
        """(field id, table id, label) of a lineage row's upstream or downstream field."""
        v = row.parsed.values
        field_id, name = v.get(f"{role}_field_id"), v.get(f"{role}_field")
        names_given = bool(v.get(f"{role}_table") or name)
        by_id: tuple[str, str] | None = None
        by_key: tuple[str, str] | None = None
        known_name = name
        if field_id:
            entry = self.fields_by_id.get(field_id)
            if entry is not None:
                if entry.id is None:
                    row.problem(
                        ProblemCode.DEPENDS_ON_INVALID_ROW,
                        f"the {role} field with id '{field_id}' is in "
                        f"{self._where(entry)}, which has errors; fix that row first.",
                        column=f"{role}_field_id",
                        value=field_id,
                    )
                    raise _RowError()
                assert entry.table_id is not None
                by_id, known_name = (entry.id, entry.table_id), entry.name
            else:
                rec = self._look("field_id", field_id)
                if rec is None:
                    row.problem(
                        ProblemCode.UNKNOWN_REFERENCE,
                        f"no field has the id '{field_id}' in this file or in the "
                        f"catalog; check the {role}_field_id, or clear it and give the "
                        "field's names.",
                        column=f"{role}_field_id",
                        value=field_id,
                    )
                    raise _RowError()
                by_id, known_name = (rec["id"], rec["table_id"]), rec["name"]
        if names_given and by_id is not None:
            # As for tables: the id decides, stale names are tolerated, other names conflict.
            mark = len(row.problems)
            try:
                by_key = self._field_by_names(row, v, role, name)
            except _RowError:
                del row.problems[mark:]
            if by_key is not None and by_key != by_id:
                where = (
                    "belongs to the table " + self._label_of_table(by_id[1])
                    if by_key[1] != by_id[1]
                    else "is another field"
                )
                row.problem(
                    ProblemCode.CONFLICTING_REFERENCE,
                    f"the {role}_field_id '{field_id}' {where}, but the row names "
                    f"'{self._short_table(by_key[1])}.{name}'; correct the names or the "
                    "id.",
                    column=f"{role}_field_id",
                    value=field_id,
                )
                raise _RowError()
        elif names_given:
            by_key = self._field_by_names(row, v, role, name)
        result = by_id or by_key
        if result is None:
            row.problem(
                ProblemCode.REQUIRED_VALUE,
                f"the {role} field is missing; give its table and name, or its id.",
                column=f"{role}_field",
            )
            raise _RowError()
        label = (
            f"'{self._short_table(result[1])}.{known_name}'"
            if known_name
            else f"the field with id '{field_id}'"
        )
        return result[0], result[1], label

    def _field_by_names(
        self, row: _Row, v: dict[str, Any], role: str, name: str | None
    ) -> tuple[str, str]:
        table_id = self._table_ref(
            row,
            role=role,
            source_column=f"{role}_source",
            schema_column=f"{role}_schema",
            table_column=f"{role}_table",
            id_column=None,
        )
        if not name:
            row.problem(
                ProblemCode.REQUIRED_VALUE,
                f"the {role} field is missing; give its name in '{role}_field'.",
                column=f"{role}_field",
            )
            raise _RowError()
        table_name = self._short_table(table_id)
        entry = self.fields_by_key.get((table_id, name))
        if entry is not None:
            if entry.id is None:
                row.problem(
                    ProblemCode.DEPENDS_ON_INVALID_ROW,
                    f"the {role} field '{table_name}.{name}' is defined in "
                    f"{self._where(entry)}, which has errors; fix that row first.",
                    column=f"{role}_field",
                    value=name,
                )
                raise _RowError()
            return entry.id, table_id
        rec = self._look("field_key", (table_id, name))
        if rec is None:
            pool = self.field_names_in_file.get(table_id, []) + self._look("field_names", table_id)
            row.problem(
                ProblemCode.UNKNOWN_REFERENCE,
                f"the {role} field '{table_name}.{name}' does not exist in this file or "
                "in the catalog; add it to the fields sheet or correct the name.",
                column=f"{role}_field",
                value=f"{table_name}.{name}",
                suggestion=suggest(name, pool),
            )
            raise _RowError()
        return rec["id"], table_id

    def _source_name(self, source_key: Any) -> str | None:
        if source_key in (None, MANUAL_SOURCE_KEY):
            return None
        return self.source_names.get(source_key, source_key)

    def _short_table(self, table_id: str) -> str:
        label = self._label_of_table(table_id)
        return label.split("'")[1] if label.startswith("'") else label

    def _id_free(self, row: _Row, row_id: str, what: str) -> None:
        """Ids are unique across every kind (the audit trail keys histories by id alone):
        a new entity may not take an id that anything in Clew, or another row, has."""
        in_file = {
            "source": self.sources_by_id,
            "table": self.tables_by_id,
            "field": self.fields_by_id,
            "lineage edge": self.edge_ids,
        }
        for kind, index in in_file.items():
            entry = index.get(row_id)
            if kind != what and entry is not None and entry.id is not None:
                row.problem(
                    ProblemCode.ID_IN_USE,
                    f"the id '{row_id}' is already given to the {kind} in "
                    f"{self._where(entry)}; ids are unique across every kind, so clear one "
                    "of them to let Clew choose it.",
                    column="id",
                    value=row_id,
                )
                raise _RowError()
        kind = self._look("id_in_use", row_id)
        if kind is not None:
            owner = _ID_OWNERS.get(kind)
            row.problem(
                ProblemCode.ID_IN_USE,
                (
                    f"the id '{row_id}' already belongs to a {owner} in the catalog"
                    if owner
                    else f"the id '{row_id}' is already in use in Clew"
                )
                + f", so it cannot be given to a new {what} (ids are unique across every "
                "kind); clear the id to let Clew choose one.",
                column="id",
                value=row_id,
            )
            raise _RowError()

    def _duplicate(
        self,
        row: _Row,
        index: dict[Any, _Entry],
        key: Any,
        label: str,
        column: str | None,
        value: Any,
    ) -> None:
        entry = index.get(key)
        # A row with errors does not count: the valid row with its key is the one imported.
        if entry is not None and entry.id is not None:
            row.problem(
                ProblemCode.DUPLICATE_ROW,
                f"{label} is already in {self._where(entry)}; keep one of the two rows.",
                column=column,
                value=value,
            )
            raise _RowError()

    def _same_entity(
        self, row: _Row, index: dict[str, _Entry], current: Record | None, what: str, label: str
    ) -> None:
        """Two rows reaching one entity by different keys (one by its id, say, the other by the
        name it had before the first renamed it) would be merged into one write."""
        if current is None:
            return
        entry = index.get(current["id"])
        if entry is not None and entry.id is not None:
            row.problem(
                ProblemCode.DUPLICATE_ROW,
                f"{label} is the {what} with id '{current['id']}', already in "
                f"{self._where(entry)} (one row names the {what} by its id, the other by its "
                "name or a name it had); keep one of the two rows.",
                column="id" if row.parsed.values.get("id") else "name",
                value=current["id"],
            )
            raise _RowError()

    # Sources

    async def _source_row(self, row: _Row, *, plan: BatchPlan | None) -> None:
        v = row.parsed.values
        name, row_id = v["name"], v.get("id")
        self._duplicate(row, self.sources_by_name, name, f"the source '{name}'", "name", name)
        if row_id:
            self._duplicate(row, self.sources_by_id, row_id, f"the id '{row_id}'", "id", row_id)
        current = self._identify(
            row, "source", "source_id", "source_name", row_id, name, label=f"the source '{name}'"
        )
        self._same_entity(row, self.sources_by_id, current, "source", f"the source '{name}'")
        if current is None and row_id:
            self._id_free(row, row_id, "source")
        if plan is None:
            return
        new_id = current["id"] if current else (row_id or str(uuid.uuid4()))
        props = {
            "name": name,
            "type": v.get("type"),
            "description": v.get("description"),
            "active": True if v.get("active") is None else v["active"],
        }
        changes, update = self._diff(current, props, v, key_columns={"name"})
        if not self.may_manage_sources and (current is None or changes):
            row.problem(
                ProblemCode.ROLE_REQUIRED,
                f"this row would {'change' if current else 'create'} the source '{name}', and "
                "managing sources needs the ADMIN role. Remove the row (tables can still "
                "name the source), or ask an administrator to import the file.",
                column="name",
                value=name,
            )
            raise _RowError()
        self._decide(
            row,
            plan,
            "SOURCE",
            new_id,
            current,
            props,
            changes,
            update,
            key=name,
            create={"id": new_id, "props": props},
        )

        def commit() -> None:
            entry = _Entry(new_id, row.parsed.row, row.parsed.place)
            self.sources_by_name[name] = entry
            if row_id:
                self.sources_by_id[row_id] = entry
            self.sources_by_id.setdefault(new_id, entry)
            self.source_names[new_id] = name

        row.commits.append(commit)

    def _identify(
        self,
        row: _Row,
        what: str,
        id_kind: str,
        key_kind: str,
        row_id: str | None,
        key: Hashable,
        *,
        label: str,
    ) -> Record | None:
        """The catalog's entity a row is about, or None for a new one."""
        by_key = self._look(key_kind, key)
        by_id = self._look(id_kind, row_id) if row_id else None
        if by_id is not None:
            if by_key is not None and by_key["id"] != by_id["id"]:
                row.problem(
                    ProblemCode.NAME_TAKEN,
                    f"the row gives {what} id '{row_id}' the name of {label}, but "
                    f"another {what} (id {by_key['id']}) already has it; choose another "
                    "name.",
                    column="name",
                    value=row.parsed.values.get("name"),
                )
                raise _RowError()
            return by_id
        if by_key is not None and row_id:
            row.problem(
                ProblemCode.ID_MISMATCH,
                f"the catalog knows {label} by the id '{by_key['id']}', not '{row_id}'; "
                f"the row updates that {what}, and rows referring to '{row_id}' are "
                "linked to it.",
                column="id",
                value=row_id,
            )
        return by_key

    def _diff(
        self,
        current: Record | None,
        props: dict[str, Any],
        values: dict[str, Any],
        *,
        key_columns: set[str],
        extra: Iterable[str] = (),
    ) -> tuple[list[tuple[str, Any, Any]], dict[str, Any]]:
        """What an update changes: only columns present in the file count."""
        if current is None:
            return [], {}
        changes: list[tuple[str, Any, Any]] = []
        update: dict[str, Any] = {}
        for name, value in props.items():
            if name not in values and name not in key_columns and name not in extra:
                continue
            before = current.get(name)
            if isinstance(before, list) or isinstance(value, list):
                same = list(before or []) == list(value or [])
            else:
                same = before == value
            if not same:
                changes.append((name, before, value))
                update[name] = value
        return changes, update

    def _decide(
        self,
        row: _Row,
        plan: BatchPlan | None,
        entity_type: str,
        entity_id: str,
        current: Record | None,
        props: dict[str, Any],
        changes: list[tuple[str, Any, Any]],
        update: dict[str, Any],
        *,
        key: str,
        create: dict[str, Any],
        extra_update: dict[str, Any] | None = None,
    ) -> None:
        self._ignore_stamps(row, current, entity_type.lower())
        if plan is None:
            return
        summary = self.report.section(plan.section)
        parsed = row.parsed

        def commit() -> None:
            if current is None:
                plan.creates.append(create)
                plan.audit.append(
                    AuditEntry(
                        entity_id, entity_type, "CREATE", after=_plain(props), comment=self.comment
                    )
                )
                summary.count("created", row=parsed.row, key=key)
            elif changes:
                plan.updates.append({"id": entity_id, "props": update, **(extra_update or {})})
                plan.audit.append(
                    AuditEntry(
                        entity_id,
                        entity_type,
                        "UPDATE",
                        before={c: _plain(b) for c, b, _ in changes},
                        after={c: _plain(a) for c, _, a in changes},
                        comment=self.comment,
                    )
                )
                summary.count(
                    "updated",
                    row=parsed.row,
                    key=key,
                    changes=[(c, _plain(b), _plain(a)) for c, b, a in changes],
                )
            else:
                summary.count("unchanged", row=parsed.row, key=key)

        row.commits.append(commit)

    def _ignore_stamps(self, row: _Row, current: Record | None, what: str) -> None:
        """When a source, table or field was created and changed is what the server saw: a
        file's timestamps that differ from what it recorded are ignored, with a warning (an
        export imported again says the same and passes quietly)."""
        v = row.parsed.values
        ignored = [
            name
            for name in ENTITY_RECORDED_COLUMNS
            if v.get(name) is not None
            and not (current is not None and _same_value(v[name], current.get(name)))
        ]
        if not ignored:
            return
        row.problem(
            ProblemCode.IGNORED_VALUE,
            f"{', '.join(ignored)} {'was' if len(ignored) == 1 else 'were'} ignored: Clew "
            f"records when it creates and changes {_article(what)} {what}, as it happens.",
            column=ignored[0],
            value=_plain(v.get(ignored[0])),
        )

    # Tables

    async def _table_row(self, row: _Row, *, plan: BatchPlan | None) -> None:
        v = row.parsed.values
        row_id, name = v.get("id"), v["name"]
        source_given = "source" in v or "source_id" in v
        source_key = self._source_ref(
            row, v.get("source"), v.get("source_id"), name_column="source", id_column="source_id"
        )
        current_by_id = None
        if row_id and row_id not in self.tables_by_id:
            current_by_id = self._look("table_id", row_id)
        # An id names the table whatever its names; absent columns keep the table's values.
        if current_by_id is not None:
            schema = v["schema"] if "schema" in v else current_by_id.get("schema")
            if not source_given:
                source_key = current_by_id["source_key"]
        else:
            schema = v.get("schema")
        qn = qualified_name(schema, name)
        label = f"the table {self._table_label(source_key, qn)}"
        self._duplicate(row, self.tables_by_key, (source_key, qn), label, "name", qn)
        if row_id:
            self._duplicate(row, self.tables_by_id, row_id, f"the id '{row_id}'", "id", row_id)
        current = self._identify(
            row, "table", "table_id", "table_key", row_id, (source_key, qn), label=label
        )
        self._same_entity(row, self.tables_by_id, current, "table", label)
        if current is None and row_id:
            self._id_free(row, row_id, "table")
        if plan is None:
            return
        new_id = current["id"] if current else (row_id or str(uuid.uuid4()))
        props = {
            "name": name,
            "schema": schema,
            "qualified_name": qn,
            "kind": v.get("kind") or "TABLE",
            "description": v.get("description"),
            "tags": v.get("tags") or [],
        }
        changes, update = self._diff(
            current,
            {**props, "source_key": source_key},
            v,
            key_columns={"name", "schema", "qualified_name"},
            extra=["source_key"] if source_given else [],
        )
        update.pop("source_key", None)
        changes = [
            ("source", self._source_name(b), self._source_name(a))
            if c == "source_key"
            else (c, b, a)
            for c, b, a in changes
        ]
        rebind = current is not None and current.get("source_key") != source_key
        source_id = None if source_key == MANUAL_SOURCE_KEY else source_key
        self._decide(
            row,
            plan,
            "TABLE",
            new_id,
            current,
            props,
            changes,
            update,
            key=qn,
            create={"id": new_id, "source_id": source_id, "props": props},
            extra_update={"rebind": rebind, "source_id": source_id},
        )

        def commit() -> None:
            entry = _Entry(new_id, row.parsed.row, row.parsed.place)
            self.tables_by_key[(source_key, qn)] = entry
            if row_id:
                self.tables_by_id[row_id] = entry
            self.tables_by_id.setdefault(new_id, entry)
            self.table_labels[new_id] = self._table_label(source_key, qn)
            self.table_names_in_file.setdefault(source_key, []).append(qn)

        row.commits.append(commit)

    # Fields

    async def _field_row(self, row: _Row, *, plan: BatchPlan | None) -> None:
        v = row.parsed.values
        row_id, name = v.get("id"), v["name"]
        table_id = self._table_ref(
            row,
            role="",
            source_column="source",
            schema_column="schema",
            table_column="table",
            id_column="table_id",
        )
        table_name = self._short_table(table_id)
        label = f"the field '{table_name}.{name}'"
        self._duplicate(row, self.fields_by_key, (table_id, name), label, "name", name)
        if row_id:
            self._duplicate(row, self.fields_by_id, row_id, f"the id '{row_id}'", "id", row_id)
            if row_id not in self.fields_by_id:
                by_id = self._look("field_id", row_id)
                if by_id is not None and by_id["table_id"] != table_id:
                    row.problem(
                        ProblemCode.FIELD_MOVED,
                        f"the field id '{row_id}' belongs to the table "
                        f"{self._label_of_table(by_id['table_id'])}, not "
                        f"{self._label_of_table(table_id)}; a field cannot move between "
                        "tables. Clear the id to create a new field there.",
                        column="id",
                        value=row_id,
                    )
                    raise _RowError()
        current = self._identify(
            row, "field", "field_id", "field_key", row_id, (table_id, name), label=label
        )
        self._same_entity(row, self.fields_by_id, current, "field", label)
        if current is None and row_id:
            self._id_free(row, row_id, "field")
        ordinal = v.get("ordinal_position")
        if current is None and ordinal is None and table_id not in self.ordinals:
            self._look("ordinal", table_id)
        if plan is None:
            return
        new_id = current["id"] if current else (row_id or str(uuid.uuid4()))
        if current is None and ordinal is None:
            if table_id not in self.ordinals:
                self.ordinals[table_id] = self._look("ordinal", table_id)
            ordinal = self.ordinals[table_id] + 1
        props = {
            "name": name,
            "data_type": v.get("data_type"),
            "nullable": True if v.get("nullable") is None else v["nullable"],
            "primary_key": False if v.get("primary_key") is None else v["primary_key"],
            "ordinal_position": ordinal
            if ordinal is not None
            else (current or {}).get("ordinal_position"),
            "description": v.get("description"),
            "tags": v.get("tags") or [],
        }
        changes, update = self._diff(current, props, v, key_columns={"name"})
        self._decide(
            row,
            plan,
            "FIELD",
            new_id,
            current,
            props,
            changes,
            update,
            key=f"{table_name}.{name}",
            create={"id": new_id, "table_id": table_id, "props": props},
        )

        def commit() -> None:
            entry = _Entry(new_id, row.parsed.row, row.parsed.place, table_id, name)
            self.fields_by_key[(table_id, name)] = entry
            if row_id:
                self.fields_by_id[row_id] = entry
            self.fields_by_id.setdefault(new_id, entry)
            self.field_names_in_file.setdefault(table_id, []).append(name)
            if props["ordinal_position"] is not None:
                self.ordinals[table_id] = max(
                    self.ordinals.get(table_id, 0), props["ordinal_position"]
                )

        row.commits.append(commit)

    # Lineage

    async def _table_edge_row(self, row: _Row, *, plan: BatchPlan | None) -> None:
        v = row.parsed.values
        ends: list[str] = []
        missing = False
        for role in ("upstream", "downstream"):
            try:
                ends.append(
                    self._table_ref(
                        row,
                        role=role,
                        source_column=f"{role}_source",
                        schema_column=f"{role}_schema",
                        table_column=f"{role}_table",
                        id_column=f"{role}_table_id",
                    )
                )
            except _Need:
                missing = True
        if missing:
            raise _Need()
        up, down = ends
        labels = (self._label_of_table(up), self._label_of_table(down))
        await self._edge_row(
            row,
            plan,
            LineageLevel.TABLE,
            up,
            down,
            labels,
            tables=(up, down),
            implied=bool(v.get("implied")),
        )

    async def _field_edge_row(self, row: _Row, *, plan: BatchPlan | None) -> None:
        ends: list[tuple[str, str, str]] = []
        missing = False
        for role in ("upstream", "downstream"):
            try:
                ends.append(self._field_ref(row, role))
            except _Need:
                missing = True
        if missing:
            raise _Need()
        (up, up_table, up_label), (down, down_table, down_label) = ends
        await self._edge_row(
            row,
            plan,
            LineageLevel.FIELD,
            up,
            down,
            (up_label, down_label),
            tables=(up_table, down_table),
            implied=False,
        )

    async def _edge_row(
        self,
        row: _Row,
        plan: BatchPlan | None,
        level: LineageLevel,
        up: str,
        down: str,
        labels: tuple[str, str],
        *,
        tables: tuple[str, str],
        implied: bool,
    ) -> None:
        v = row.parsed.values
        row_id = v.get("id")
        if up == down:
            row.problem(
                ProblemCode.SELF_LINEAGE,
                f"the lineage runs from {labels[0]} to itself; pick a different "
                "upstream or downstream.",
                value=labels[0],
            )
            raise _RowError()
        source = _enum(LineageSource, v.get("lineage_source"))
        review = _enum(ReviewState, v.get("review_state"))
        self._check_provenance(row, source, review)
        what = "table lineage" if level is LineageLevel.TABLE else "field lineage"
        pair_label = f"the {what} from {labels[0]} to {labels[1]}"
        self._duplicate(row, self.edge_rows, (level.name, up, down), pair_label, None, None)
        if row_id:
            self._duplicate(row, self.edge_ids, row_id, f"the lineage id '{row_id}'", "id", row_id)
        kind = f"edge_{level.name}"
        by_pair = self._look(kind, ("pair", up, down))
        by_id = self._look(kind, ("id", row_id)) if row_id else None
        if row_id and by_id is None and by_pair is None:
            # Not an edge of this level; it may still be one of the other level.
            other = LineageLevel.FIELD if level is LineageLevel.TABLE else LineageLevel.TABLE
            by_id = self._look(f"edge_{other.name}", ("id", row_id))
        if by_id is not None and (by_id["upstream_id"], by_id["downstream_id"]) != (up, down):
            row.problem(
                ProblemCode.EDGE_ENDS_CHANGED,
                f"the lineage id '{row_id}' is an edge between other "
                f"{'tables' if level is LineageLevel.TABLE else 'fields'} in the "
                f"catalog, but this row names {labels[0]} to {labels[1]}. An import "
                "cannot move an edge: clear the id to declare a new edge (and delete "
                "the old one in Clew if it is wrong).",
                column="id",
                value=row_id,
            )
            raise _RowError()
        current = by_id or by_pair
        if current is None and row_id:
            self._id_free(row, row_id, "lineage edge")
        if by_id is None and by_pair is not None and row_id:
            row.problem(
                ProblemCode.ID_MISMATCH,
                f"the catalog knows {pair_label} by the id '{by_pair['id']}', not "
                f"'{row_id}'; the row updates that edge.",
                column="id",
                value=row_id,
            )
        if plan is None:
            return
        new_id = current["id"] if current else (row_id or str(uuid.uuid4()))
        summary = self.report.section(plan.section)
        key = f"{labels[0]} -> {labels[1]}".replace("'", "")

        def register() -> None:
            entry = _Entry(new_id, row.parsed.row, row.parsed.place)
            self.edge_rows[(level.name, up, down)] = entry
            if row_id:
                self.edge_ids[row_id] = entry

        if implied:
            if current is not None and current.get("explicit", True):
                row.problem(
                    ProblemCode.IMPLIED_ROW_IGNORED,
                    f"{pair_label} is declared in the catalog, not implied by field "
                    "lineage, so this row (implied = TRUE) was ignored; set implied to "
                    "FALSE to update the edge.",
                    column="implied",
                    value=True,
                )

            def commit_implied() -> None:
                register()
                if current is None and row_id:
                    self.implied_rows[(up, down)] = {"id": row_id}
                summary.count("implied", row=row.parsed.row, key=key)

            row.commits.append(commit_implied)
            return
        if current is None:
            self._new_edge(
                row, plan, level, new_id, up, down, source, review, key, register, tables
            )
        else:
            self._changed_edge(
                row, plan, level, current, source, review, key, labels, register, tables
            )

    def _check_provenance(
        self, row: _Row, source: LineageSource | None, review: ReviewState | None
    ) -> None:
        problem = rules.inconsistency(source, review)
        if problem is None:
            return
        if problem is rules.Inconsistency.APPROVED_STATE_NEEDS_APPROVED_SOURCE:
            assert source is not None
            sentence = (
                f"the review state APPROVED goes only with lineage_source APPROVED, not "
                f"{source.value}; set lineage_source to APPROVED or change the review state."
            )
        elif problem is rules.Inconsistency.APPROVED_SOURCE_NEEDS_APPROVED_STATE:
            assert review is not None
            sentence = (
                f"approved lineage has the review state APPROVED, not {review.value}; "
                "clear the review state or set lineage_source to MANUAL."
            )
        else:
            sentence = (
                "inferred lineage always needs review, so its review state cannot be "
                "NOT_REQUIRED; clear the review state or set lineage_source to MANUAL."
            )
        row.problem(
            ProblemCode.INVALID_PROVENANCE,
            sentence,
            column="review_state",
            value=review.value if review else None,
        )
        raise _RowError()

    def _ignore_recorded(
        self, row: _Row, current: Record | None, ruling: rules.Ruling, review: ReviewState | None
    ) -> None:
        """Columns the server records itself: a value that differs from what it recorded is
        ignored, with a warning (an export imported again says the same and passes quietly)."""
        v = row.parsed.values
        ignored: list[str] = []
        if (
            review is not None
            and review not in rules.DECISIONS
            and review is not ruling.review_state
        ):
            ignored.append("review_state")
        for name in RECORDED_COLUMNS:
            value = v.get(name)
            if value is None:
                continue
            if name == "review_comment" and ruling.reviewer is rules.Reviewer.DECIDED:
                continue  # the comment of the steward's decision this row makes
            if current is not None and _same_value(value, current.get(name)):
                continue
            ignored.append(name)
        if not ignored:
            return
        row.problem(
            ProblemCode.IGNORED_VALUE,
            f"{', '.join(ignored)} {'was' if len(ignored) == 1 else 'were'} ignored: Clew "
            "records who created and reviewed lineage, and when, as it happens, and the review "
            f"state follows the lineage rules (this edge is {ruling.review_state.value}). Only "
            "a steward's decision changes it: review_state APPROVED or REJECTED in a file a "
            "steward imports, or approveLineage and rejectLineage.",
            column=ignored[0],
            value=_plain(v.get(ignored[0])),
        )

    def _check_may_review(self, row: _Row, state: ReviewState, pair: str) -> None:
        if self.may_review or state not in (ReviewState.APPROVED, ReviewState.REJECTED):
            return
        row.problem(
            ProblemCode.ROLE_REQUIRED,
            f"this row would make the lineage {pair} {state.value}, and approving or "
            "rejecting lineage needs the STEWARD role. Leave review_state empty (and "
            "lineage_source not APPROVED) so the edge waits for a steward's review, or ask a "
            "steward to import the file.",
            column="review_state",
            value=state.value,
        )
        raise _RowError()

    def _new_edge(
        self,
        row: _Row,
        plan: BatchPlan,
        level: LineageLevel,
        new_id: str,
        up: str,
        down: str,
        source: LineageSource | None,
        review: ReviewState | None,
        key: str,
        register: Callable[[], None],
        tables: tuple[str, str],
    ) -> None:
        v = row.parsed.values
        ruling = rules.new_edge(rules.Proposal(provenance=source, decision=review))
        if ruling.needs_steward:
            self._check_may_review(row, ruling.review_state, key)
        self._ignore_recorded(row, None, ruling, review)
        decided = ruling.reviewer is rules.Reviewer.DECIDED
        props = {
            "level": level.name,
            "lineage_source": ruling.provenance.value,
            "confidence": rules.confidence_for(v.get("confidence"), ruling.provenance),
            "transformation_type": v.get("transformation_type"),
            "transformation_logic": v.get("transformation_logic"),
            "description": v.get("description"),
            "review_state": ruling.review_state.value,
            "reviewed_by": self.actor if decided else None,
            "review_comment": v.get("review_comment") if decided else None,
            "explicit": True,
            "created_by": self.actor,
        }
        create = {
            "id": new_id,
            "upstream_id": up,
            "downstream_id": down,
            "props": props,
            "reviewed_at": None,
            "reviewed_now": decided,
        }
        summary = self.report.section(plan.section)

        def commit() -> None:
            register()
            plan.creates.append(create)
            plan.audit.append(
                AuditEntry(
                    new_id,
                    "LINEAGE",
                    "CREATE",
                    after={**props, "upstream_id": up, "downstream_id": down},
                    comment=self.comment,
                )
            )
            if level is LineageLevel.FIELD:
                plan.refresh_pairs.append(tables)
            summary.count("created", row=row.parsed.row, key=key)

        row.commits.append(commit)

    def _changed_edge(
        self,
        row: _Row,
        plan: BatchPlan,
        level: LineageLevel,
        current: Record,
        source: LineageSource | None,
        review: ReviewState | None,
        key: str,
        labels: tuple[str, str],
        register: Callable[[], None],
        tables: tuple[str, str],
    ) -> None:
        v = row.parsed.values
        summary = self.report.section(plan.section)
        was = LineageSource(current["lineage_source"])
        wanted = source or was
        if "confidence" in v and v["confidence"] is not None:
            confidence = v["confidence"]
        elif wanted is not was:
            confidence = rules.default_confidence(wanted)
        else:
            confidence = current["confidence"]
        after: dict[str, Any] = {"confidence": confidence}
        for name in ("transformation_type", "transformation_logic", "description"):
            after[name] = v[name] if name in v else current.get(name)
        substance = any(
            _plain(after[name]) != _plain(current.get(name))
            for name in ("confidence", "transformation_type", "transformation_logic")
        )
        ruling = rules.merge(
            rules.Current(provenance=was, review_state=ReviewState(current["review_state"])),
            rules.Proposal(provenance=source, decision=review),
            substance_changed=substance,
        )
        if ruling.verdict is rules.Verdict.KEEP_EXISTING:
            if ruling.kept_because is ReviewState.REJECTED:
                reviewer = current.get("reviewed_by")
                sentence = (
                    f"the row is INFERRED lineage, but the edge from {labels[0]} to {labels[1]} "
                    "was rejected by a steward"
                    + (f" ({reviewer})" if reviewer else "")
                    + "; it stays rejected and the row was recorded in its history as a "
                    "suggestion. Declare it MANUAL to send it back for review."
                )
            else:
                sentence = (
                    f"the row is INFERRED lineage, but {_article(was.value)} {was.value} edge "
                    f"already runs from {labels[0]} to {labels[1]}; the existing edge was kept "
                    "(inferred lineage never overwrites manual or approved lineage) and the "
                    "row was recorded in its history as a suggestion."
                )
            row.problem(
                ProblemCode.KEPT_EXISTING, sentence, column="lineage_source", value="INFERRED"
            )

            def commit_kept() -> None:
                register()
                plan.audit.append(
                    AuditEntry(
                        current["id"],
                        "LINEAGE",
                        "SUGGESTION",
                        after=_plain(v),
                        comment="Inferred lineage from an import kept as a suggestion; the "
                        f"{was.value.lower()} edge was not changed.",
                    )
                )
                summary.count("kept", row=row.parsed.row, key=key)

            row.commits.append(commit_kept)
            return
        if ruling.needs_steward:
            self._check_may_review(row, ruling.review_state, key)
        if ruling.leaves_approved:
            reviewer = current.get("reviewed_by")
            if not self.allow_downgrade:
                change = (
                    "change its confidence or transformation, which sends it back for review"
                    if ruling.provenance is LineageSource.MANUAL
                    and wanted is LineageSource.APPROVED
                    else f"make it {wanted.value}"
                    if ruling.review_state is not ReviewState.REJECTED
                    else "reject it"
                )
                row.problem(
                    ProblemCode.APPROVED_DOWNGRADE,
                    f"{labels[0]} to {labels[1]} is APPROVED lineage in the catalog"
                    + (f" (approved by {reviewer})" if reviewer else "")
                    + f"; this row would {change}. An import does not downgrade "
                    "approved lineage: keep the approved values, remove the row, or "
                    "import with 'allow downgrade' if you may do so.",
                    column="lineage_source",
                    value=wanted.value,
                )
                raise _RowError()
            row.problem(
                ProblemCode.DOWNGRADE_ALLOWED,
                f"{labels[0]} to {labels[1]} was APPROVED lineage"
                + (f" (approved by {reviewer})" if reviewer else "")
                + f"; it is now {ruling.provenance.value} with review state "
                f"{ruling.review_state.value}, because the import allows downgrades.",
                column="lineage_source",
                value=wanted.value,
            )
        self._ignore_recorded(row, current, ruling, review)
        after["lineage_source"] = ruling.provenance.value
        after["review_state"] = ruling.review_state.value
        newly_reviewed = ruling.reviewer is rules.Reviewer.DECIDED
        if newly_reviewed:
            after["reviewed_by"] = self.actor
            after["review_comment"] = v.get("review_comment")
        elif ruling.reviewer is rules.Reviewer.CLEAR:
            after["reviewed_by"] = None
            after["review_comment"] = None
            after["reviewed_at"] = None
        if not current.get("explicit", True):
            after["explicit"] = True  # declared in the file: no longer only implied

        def now(name: str) -> Any:
            return _plain(
                current.get("explicit", True) if name == "explicit" else current.get(name)
            )

        changes = [
            (name, now(name), _plain(value))
            for name, value in after.items()
            if _plain(value) != now(name)
        ]
        if not changes:

            def commit_same() -> None:
                register()
                summary.count("unchanged", row=row.parsed.row, key=key)

            row.commits.append(commit_same)
            return
        update = {name: after_value for name, _, after_value in changes}
        edge_id = current["id"]

        def commit() -> None:
            register()
            plan.updates.append(
                {
                    "id": edge_id,
                    "props": update,
                    "reviewed_at": None,
                    "reviewed_now": newly_reviewed,
                }
            )
            plan.audit.append(
                AuditEntry(
                    edge_id,
                    "LINEAGE",
                    "UPDATE",
                    before={c: b for c, b, _ in changes},
                    after={c: a for c, _, a in changes},
                    comment=self.comment,
                )
            )
            if level is LineageLevel.FIELD:
                plan.refresh_pairs.append(tables)
            summary.count("updated", row=row.parsed.row, key=key, changes=changes)

        row.commits.append(commit)


# Lineage columns whose values the server records itself (see _ignore_recorded).
RECORDED_COLUMNS = (
    "reviewed_by",
    "reviewed_at",
    "review_comment",
    "created_by",
    "created_at",
    "updated_at",
)
# Source, table and field columns the server records itself (see _ignore_stamps).
ENTITY_RECORDED_COLUMNS = ("created_at", "updated_at")
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def _instant(value: Any) -> Any:
    text = _plain(value)
    if not isinstance(text, str):
        return text
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
    except ValueError:
        return text
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _same_value(given: Any, recorded: Any) -> bool:
    if recorded is None:
        return False
    return bool(_plain(given) == _plain(recorded) or _instant(given) == _instant(recorded))


def _plain(value: Any) -> Any:
    """A value as JSON holds it (for samples and the audit trail)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    enum_value = getattr(value, "value", None)
    if enum_value is not None and not isinstance(value, int | float | str | bool):
        return enum_value
    native = getattr(value, "iso_format", None)
    if callable(native):
        return native()
    return value


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"
