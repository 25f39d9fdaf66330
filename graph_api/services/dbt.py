"""A dbt project's artifacts in: its relations documented as tables, its lineage asserted with
the project as origin.

- Models, seeds, snapshots and sources become tables: under the source the caller names
  (matched to the source's tables by schema and name, case-insensitively; created under it
  when missing), otherwise documented by hand (`manual`). Ephemeral models are no tables:
  lineage runs through them.
- Descriptions and tags come from the manifest, column types from the catalog (on tables
  documented by hand; a source's own types win over the catalog's, and only fill a missing
  one). What a person wrote is kept: a table's description is replaced only while it is still
  the one dbt gave last, only the tags dbt gave last are replaced, and a column's description
  fills an empty one.
- Lineage: `graph_api/dbt/lineage.py`; all of it through the one ingestion entry
  point, so re-ingesting the project replaces what it asserted before, and never touches
  MANUAL or APPROVED edges.
- A table the project created and no longer declares is removed, unless someone declared or
  approved lineage on it meanwhile (it is kept, and reported).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graph_api import input_rules as check
from graph_api.dbt.artifacts import DbtNode, DbtProject, Problem, load_json, read_project
from graph_api.dbt.columns import Parsed, Parser, column_flows
from graph_api.dbt.lineage import field_assertions, table_assertions
from graph_api.errors import NotFoundError, ValidationError
from graph_api.events import Broker
from graph_api.models import (
    MANUAL_SOURCE_KEY,
    Assertion,
    Origin,
    OriginKind,
    TableKind,
    qualified_name,
)
from graph_api.services.catalog import CatalogService
from graph_api.services.changes import record_changes
from graph_api.services.lineage_ingest import IngestReport, LineageIngestService
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.dbt import DbtRepository
from graph_api.store.fields import FieldRepository
from graph_api.store.interchange import InterchangeRepository
from graph_api.store.sources import SourceRepository

Row = dict[str, Any]
PARSE_CACHE_SIZE = 20_000
_KINDS = {"view": TableKind.VIEW, "materialized_view": TableKind.MATERIALIZED_VIEW}


@dataclass
class DbtReport:
    project: str
    tables_created: list[str] = field(default_factory=list)
    tables_updated: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    # Tables the project no longer declares, kept because people documented lineage on them.
    tables_kept: list[str] = field(default_factory=list)
    fields_created: int = 0
    fields_updated: int = 0
    table_edges: int = 0
    field_edges: int = 0
    problems: list[Problem] = field(default_factory=list)
    lineage: IngestReport | None = None
    # unique_id -> table id, for every relation the project declares.
    table_ids: dict[str, str] = field(default_factory=dict)


def _key(node: DbtNode, source_key: str) -> tuple[str, str]:
    return source_key, qualified_name(node.schema, node.identifier)


def _kind(node: DbtNode) -> TableKind:
    return _KINDS.get(node.materialized or "", TableKind.TABLE)


def _merged_tags(current: list[str], dbt_before: list[str], dbt_now: list[str]) -> list[str]:
    kept = [t for t in current if t not in dbt_before]
    return kept + [t for t in dbt_now if t not in kept]


def _described(current: str | None, dbt_before: str | None, dbt_now: str | None) -> str | None:
    return dbt_now if current is None or current == dbt_before else current


class DbtService:
    def __init__(
        self,
        store: Store,
        *,
        ingest: LineageIngestService,
        catalog: CatalogService,
        broker: Broker | None = None,
        parser: Parser | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        # Parsed compiled SQL by (SQL, dialect, columns read): ingesting a project again
        # parses only the models whose SQL or inputs changed.
        self._parsed: OrderedDict[str, Parsed] = OrderedDict()
        self._parser = parser
        self._broker = broker
        self._ingest = ingest
        self.repo = DbtRepository()
        self.writes = InterchangeRepository(store)
        self.fields = FieldRepository(store)
        self.sources = SourceRepository(store)
        self.audit = AuditRepository(store)

    async def ingest_project(
        self,
        manifest: bytes,
        catalog: bytes | None = None,
        *,
        actor: str,
        project: str | None = None,
        source_id: str | None = None,
    ) -> DbtReport:
        parsed = await asyncio.to_thread(_read, manifest, catalog, project)
        if source_id is not None and not await self.sources.get_many([source_id]):
            raise NotFoundError(
                f"No source with id '{source_id}' exists; give the id of the registered "
                "source the project builds in, or none to document its tables by hand.",
                field="dbt.sourceId",
            )
        report = DbtReport(project=parsed.name, problems=list(parsed.problems))
        source_key = source_id or MANUAL_SOURCE_KEY
        relations = [n for n in parsed.nodes.values() if not n.ephemeral]

        async def work(tx: Tx) -> list[Row]:
            return await self._write_tables(tx, parsed, relations, source_key, report, actor)

        gone = await self._store.transaction(work)
        assertions = await self._lineage(parsed, report, actor=actor)
        report.lineage = await self._ingest.ingest(
            Origin(kind=OriginKind.DBT, key=parsed.name, label=f"dbt project {parsed.name}"),
            assertions,
            actor=actor,
            replace=True,
        )
        report.table_edges = sum(1 for a in assertions if a.level.name == "TABLE")
        report.field_edges = len(assertions) - report.table_edges
        await self._remove_undeclared(gone, report, actor=actor)
        return report

    async def _lineage(
        self, project: DbtProject, report: DbtReport, *, actor: str
    ) -> list[Assertion]:
        """Table edges from depends_on; field edges from the compiled SQL, after adding the
        output columns the manifest and catalog did not list."""
        table_ids = report.table_ids
        fields = await self.fields.by_tables(sorted(set(table_ids.values())))
        assertions = table_assertions(project, table_ids)
        if self._parser is None:
            return assertions
        known = {uid: [f.name for f in fields.get(tid, [])] for uid, tid in table_ids.items()}
        flows, outputs, problems = await asyncio.to_thread(
            column_flows, project, known, self._cached_parse
        )
        report.problems += problems
        missing: list[Row] = []
        audit: list[ChangeDraft] = []
        for uid, names in outputs.items():
            table_id = table_ids.get(uid)
            if table_id is None:
                continue
            have = {n.lower() for n in known.get(uid, [])}
            last = max((f.ordinal_position or 0 for f in fields.get(table_id, [])), default=0)
            for name in names:
                if name.lower() in have:
                    continue
                have.add(name.lower())
                last += 1
                props: Row = {
                    "name": name,
                    "data_type": None,
                    "nullable": True,
                    "primary_key": False,
                    "ordinal_position": last,
                    "tags": [],
                }
                field_id = str(uuid.uuid4())
                missing.append({"id": field_id, "table_id": table_id, "props": props})
                audit.append(
                    ChangeDraft(field_id, "FIELD", "CREATE", after={**props, "table_id": table_id})
                )
        if missing:

            async def add(tx: Tx) -> None:
                await self.writes.create_fields(tx, missing)
                await record_changes(tx, audit, audit=self.audit, actor=actor, broker=self._broker)

            await self._store.transaction(add)
            report.fields_created += len(missing)
            fields = await self.fields.by_tables(sorted(set(table_ids.values())))
        return assertions + field_assertions(project, flows, table_ids, fields)

    def _cached_parse(self, sql: str, dialect: str, schema: Any) -> Parsed:
        assert self._parser is not None
        key = hashlib.sha256(
            json.dumps([sql, dialect, schema], sort_keys=True).encode()
        ).hexdigest()
        found = self._parsed.get(key)
        if found is None:
            found = self._parsed[key] = self._parser(sql, dialect, schema)
            while len(self._parsed) > PARSE_CACHE_SIZE:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(key)
        return found

    async def _write_tables(
        self,
        tx: Tx,
        project: DbtProject,
        relations: list[DbtNode],
        source_key: str,
        report: DbtReport,
        actor: str,
    ) -> list[Row]:
        keys = sorted({_key(n, source_key) for n in relations})
        known = await self.repo.project_tables(tx, project=project.name, keys=keys)
        by_key: dict[tuple[str, str], Row] = {}
        for row in known:
            by_key.setdefault((row["source_key"], row["qualified_name"].lower()), row)
        create: list[Row] = []
        update: list[Row] = []
        audit: list[ChangeDraft] = []
        manual = source_key == MANUAL_SOURCE_KEY
        for node in relations:
            sk, qn = _key(node, source_key)
            path = f"manifest.{node.unique_id}"
            try:
                name = check.name(node.identifier, field=f"{path}.alias", what="table name")
                schema = check.optional_name(node.schema, field=f"{path}.schema", what="schema")
                description = check.description(node.description, field=f"{path}.description")
                tags = check.tags(list(node.tags), field=f"{path}.tags")
            except ValidationError as exc:
                report.problems.append(
                    Problem(code="UNUSABLE_NODE", message=exc.message, unique_id=node.unique_id)
                )
                continue
            found = by_key.get((sk, qn.lower()))
            dbt_props: Row = {
                "dbt_project": project.name,
                "dbt_unique_id": node.unique_id,
                "dbt_description": description,
                "dbt_tags": tags,
            }
            if found is None:
                table_id = str(uuid.uuid4())
                props: Row = {
                    "name": name,
                    "schema": schema,
                    "qualified_name": qn,
                    "kind": _kind(node).value,
                    "description": description,
                    "tags": tags,
                    "dbt_created": True,
                    **dbt_props,
                }
                create.append({"id": table_id, "source_id": None if manual else sk, "props": props})
                audit.append(ChangeDraft(table_id, "TABLE", "CREATE", after=_state(props)))
                report.tables_created.append(qn)
            else:
                row = found
                table_id = row["id"]
                props = {
                    **dbt_props,
                    "description": _described(
                        row.get("description"), row.get("dbt_description"), description
                    ),
                    "tags": _merged_tags(
                        list(row.get("tags") or []), list(row.get("dbt_tags") or []), tags
                    ),
                }
                if any(row.get(k) != v for k, v in props.items()):
                    update.append({"id": table_id, "props": props, "rebind": False})
                    if (row.get("description"), row.get("tags")) != (
                        props["description"],
                        props["tags"],
                    ):
                        audit.append(
                            ChangeDraft(
                                table_id,
                                "TABLE",
                                "UPDATE",
                                before=_state(row),
                                after=_state({**row, **props}),
                                comment=f"dbt project {project.name}",
                            )
                        )
                        report.tables_updated.append(row["qualified_name"])
            report.table_ids[node.unique_id] = table_id
        await self.writes.create_tables(tx, create)
        await self.writes.update_tables(tx, update)
        await self._write_fields(tx, project, relations, report, audit, manual=manual)
        await record_changes(tx, audit, audit=self.audit, actor=actor, broker=self._broker)
        declared = set(report.table_ids.values())
        return [
            r for r in known if r.get("dbt_project") == project.name and r["id"] not in declared
        ]

    async def _write_fields(
        self,
        tx: Tx,
        project: DbtProject,
        relations: list[DbtNode],
        report: DbtReport,
        audit: list[ChangeDraft],
        *,
        manual: bool,
    ) -> None:
        ids = [report.table_ids[n.unique_id] for n in relations if n.unique_id in report.table_ids]
        existing = await self.fields.by_tables(ids, tx)
        create: list[Row] = []
        update: list[Row] = []
        for node in relations:
            table_id = report.table_ids.get(node.unique_id)
            if table_id is None:
                continue
            current = {f.name.lower(): f for f in existing.get(table_id, [])}
            last = max((f.ordinal_position or 0 for f in current.values()), default=0)
            seen: set[str] = set()
            for column in node.columns:
                path = f"manifest.{node.unique_id}.columns.{column.name}"
                try:
                    name = check.name(column.name, field=path, what="field name")
                    data_type = check.data_type(column.data_type, field=f"{path}.data_type")
                    description = check.description(column.description, field=path)
                    tags = check.tags(list(column.tags), field=f"{path}.tags")
                except ValidationError as exc:
                    report.problems.append(
                        Problem(
                            code="UNUSABLE_COLUMN", message=exc.message, unique_id=node.unique_id
                        )
                    )
                    continue
                found = current.get(name.lower())
                if name.lower() in seen:
                    continue  # a column listed twice is written once
                if found is None:
                    last += 1
                    field_id = str(uuid.uuid4())
                    props = {
                        "name": name,
                        "data_type": data_type,
                        "nullable": True,
                        "primary_key": False,
                        "ordinal_position": column.index or last,
                        "description": description,
                        "tags": tags,
                    }
                    seen.add(name.lower())
                    create.append({"id": field_id, "table_id": table_id, "props": props})
                    audit.append(
                        ChangeDraft(
                            field_id, "FIELD", "CREATE", after={**props, "table_id": table_id}
                        )
                    )
                    report.fields_created += 1
                    continue
                seen.add(name.lower())
                change: Row = {"description": found.description or description}
                if data_type and (manual or found.data_type is None):
                    change["data_type"] = data_type
                change = {k: v for k, v in change.items() if getattr(found, k) != v}
                if change:
                    update.append({"id": found.id, "props": change})
                    audit.append(
                        ChangeDraft(
                            found.id,
                            "FIELD",
                            "UPDATE",
                            before={k: getattr(found, k) for k in change},
                            after=change,
                            comment=f"dbt project {project.name}",
                        )
                    )
                    report.fields_updated += 1
        await self.writes.create_fields(tx, create)
        await self.writes.update_fields(tx, update)

    async def _remove_undeclared(self, gone: list[Row], report: DbtReport, *, actor: str) -> None:
        created = [r for r in gone if r.get("dbt_created")]
        kept = await self._store.transaction(
            lambda tx: self.repo.hand_documented(tx, [r["id"] for r in created])
        )
        for row in created:
            if row["id"] in kept:
                report.tables_kept.append(row["qualified_name"])
                continue
            await self._catalog.delete_table(row["id"], actor=actor)
            report.tables_removed.append(row["qualified_name"])
        # Tables the project matched but did not create stay; they are no longer the project's.
        released = [
            {"id": r["id"], "props": {"dbt_project": None, "dbt_unique_id": None}, "rebind": False}
            for r in gone
            if not r.get("dbt_created") or r["id"] in kept
        ]
        if released:
            await self._store.transaction(lambda tx: self.writes.update_tables(tx, released))


def _read(manifest: bytes, catalog: bytes | None, project: str | None) -> DbtProject:
    return read_project(
        load_json(manifest, what="manifest", field_path="manifest"),
        load_json(catalog, what="catalog", field_path="catalog") if catalog else None,
        project=project,
    )


def _state(props: Row) -> Row:
    return {
        k: props.get(k)
        for k in ("name", "schema", "kind", "description", "tags")
        if props.get(k) is not None
    }
