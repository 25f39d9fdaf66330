"""OpenLineage events in: stored once, a run's events merged, lineage materialised when the run
completes, with the job ("namespace/job") as the origin of every edge it asserts.

- Each event is stored whole, keyed by (kind, run, type, time): the same event posted again is
  accepted and changes nothing.
- Datasets become Clew tables by the naming spec (`graph_api/openlineage/naming.py`) against
  the registered sources, or by a person's mapping; one that matches nothing (or matches more
  than one table) is listed by `datasets(unmapped=True)` and takes part in no edge until it is
  mapped. Mapping it materialises again the last completed run of every job that named it.
- When a run completes (or a JobEvent declares a job's datasets), the job's assertions are
  replaced by what that run says: a table edge from each input to each output (confidence
  0.7), a field edge per `columnLineage` input field (confidence 0.8), the `sql` job facet and
  the run id as evidence. A `schema` facet adds the fields a mapped table lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from graph_api.errors import NotFoundError, ValidationError
from graph_api.events import Broker
from graph_api.models import Assertion, LineageLevel, Origin, OriginKind, Source, TransformationType
from graph_api.openlineage import facets as ol_facets
from graph_api.openlineage import naming
from graph_api.openlineage.events import Dataset, Event, EventKind, merge_run, parse_event
from graph_api.services.catalog import CatalogService, FieldDraft, TableDraft
from graph_api.services.lineage_ingest import IngestReport, LineageIngestService
from graph_api.store.client import Store
from graph_api.store.fields import FieldRepository
from graph_api.store.openlineage import OpenLineageRepository
from graph_api.store.sources import SourceRepository
from graph_api.store.tables import TableRepository

TABLE_CONFIDENCE = 0.7
FIELD_CONFIDENCE = 0.8
MAX_SQL_EVIDENCE = 20_000
MAX_SOURCES = 1000


@dataclass(frozen=True)
class Received:
    """What one posted event did."""

    new: bool
    materialised: IngestReport | None = None
    unmapped: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class DatasetRecord:
    id: str
    namespace: str
    name: str
    table_id: str | None
    mapped_by: str | None
    jobs: list[str]
    fields: list[ol_facets.SchemaField]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DatasetRecord:
        fields = [ol_facets.SchemaField(**f) for f in json.loads(row.get("fields") or "[]")]
        return cls(
            id=row["id"],
            namespace=row["namespace"],
            name=row["name"],
            table_id=row.get("table_id"),
            mapped_by=row.get("mapped_by"),
            jobs=list(row.get("jobs") or []),
            fields=fields,
        )


def _fields_json(dataset: Dataset) -> str | None:
    fields = ol_facets.schema_fields(dataset.facets)
    if not fields:
        return None
    return json.dumps([f.__dict__ for f in fields])


class OpenLineageService:
    def __init__(
        self,
        store: Store,
        *,
        ingest: LineageIngestService,
        catalog: CatalogService,
        broker: Broker | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._broker = broker
        self._ingest = ingest
        self.events = OpenLineageRepository(store)
        self.sources = SourceRepository(store)
        self.tables = TableRepository(store)
        self.fields = FieldRepository(store)

    # Receiving

    async def receive(self, body: Any, *, actor: str) -> Received:
        event = parse_event(body)
        new = await self.events.record_event(
            key=event.idempotency_key,
            props={
                "kind": event.kind.value,
                "run_id": event.run_id,
                "event_type": event.event_type,
                "event_time": event.event_time,
                "job_key": event.job_key,
                "body": json.dumps(body, separators=(",", ":")),
            },
        )
        if not new:
            return Received(new=False)
        if event.kind is EventKind.DATASET:
            assert event.dataset is not None
            mapped = await self._note(None, [event.dataset])
            await self._add_schema_fields([event.dataset], mapped, actor=actor)
            return Received(new=True, unmapped=[k for k, v in mapped.items() if v is None])
        if event.kind is EventKind.RUN:
            assert event.run_id is not None
            stored = await self.events.run_events(event.run_id)
            event = merge_run([parse_event(json.loads(text)) for text in stored])
            if event.event_type != "COMPLETE":
                await self._note(event.job_key, [*event.inputs, *event.outputs])
                return Received(new=True)
        return await self._materialise(event, actor=actor)

    async def _sources(self) -> list[Source]:
        page = await self.sources.page(first=MAX_SOURCES, after=None, type=None, active=None)
        return page.items

    async def _resolve(self, datasets: list[Dataset]) -> dict[str, str | None]:
        """The table each dataset names by the naming spec: exactly one, or None."""
        sources = await self._sources()
        candidates: dict[str, list[tuple[str, str]]] = {}
        for dataset in datasets:
            where = naming.address(dataset.namespace, dataset.name)
            if where is None:
                continue
            candidates[dataset.key] = [
                (s.id, where.qualified_name) for s in sources if naming.serves(s, where)
            ]
        keys = sorted({k for found in candidates.values() for k in found})
        tables = await self.events.tables_by_name(keys)
        resolved: dict[str, str | None] = {}
        for dataset in datasets:
            hits = {tables[k] for k in candidates.get(dataset.key, []) if k in tables}
            resolved[dataset.key] = hits.pop() if len(hits) == 1 else None
        return resolved

    async def _note(self, job_key: str | None, datasets: list[Dataset]) -> dict[str, str | None]:
        unique = list({d.key: d for d in datasets}.values())
        resolved = await self._resolve(unique)
        return await self.events.note_datasets(
            [
                {
                    "key": d.key,
                    "namespace": d.namespace,
                    "name": d.name,
                    "job_key": job_key,
                    "table_id": resolved.get(d.key),
                    "fields": _fields_json(d),
                }
                for d in unique
            ]
        )

    async def _add_schema_fields(
        self, datasets: list[Dataset], mapped: dict[str, str | None], *, actor: str
    ) -> None:
        wanted: dict[str, list[ol_facets.SchemaField]] = {}
        for dataset in datasets:
            table_id = mapped.get(dataset.key)
            if table_id:
                wanted.setdefault(table_id, []).extend(ol_facets.schema_fields(dataset.facets))
        await self._add_fields(wanted, actor=actor)

    async def _add_fields(
        self, wanted: dict[str, list[ol_facets.SchemaField]], *, actor: str
    ) -> None:
        if not wanted:
            return
        existing = await self.fields.by_tables(sorted(wanted))
        for table_id, fields in wanted.items():
            have = {f.name.lower() for f in existing.get(table_id, [])}
            drafts = {}
            for f in fields:
                if f.name.lower() not in have and f.name.lower() not in drafts:
                    drafts[f.name.lower()] = FieldDraft(
                        name=f.name, data_type=f.data_type, description=f.description
                    )
            if drafts:
                try:
                    await self._catalog.create_fields(table_id, list(drafts.values()), actor=actor)
                except ValidationError:
                    continue  # a name Clew refuses; the dataset's other facets still count

    async def _materialise(self, event: Event, *, actor: str) -> Received:
        assert event.job_key is not None and event.job_name is not None
        flows = [(o, flow) for o in event.outputs for flow in ol_facets.field_flows(o.facets)]
        named = {d.key: d for d in [*event.inputs, *event.outputs]}
        for _, flow in flows:
            key = f"{flow.namespace}/{flow.name}"
            named.setdefault(key, Dataset(namespace=flow.namespace, name=flow.name))
        mapped = await self._note(event.job_key, list(named.values()))
        await self._add_schema_fields(list(named.values()), mapped, actor=actor)
        # Fields a columnLineage facet names exist in the dataset, schema facet or not.
        await self._add_fields(
            {
                tid: [ol_facets.SchemaField(name=n, data_type=None, description=None)]
                for tid, n in (
                    *((mapped.get(o.key), f.output_field) for o, f in flows),
                    *((mapped.get(f"{f.namespace}/{f.name}"), f.input_field) for _, f in flows),
                )
                if tid
            },
            actor=actor,
        )
        evidence = {"job": event.job_key, "eventTime": event.event_time.isoformat()}
        if event.run_id:
            evidence["runId"] = event.run_id
        sql = ol_facets.sql_query(event.job_facets)
        if sql:
            evidence["sql"] = sql[:MAX_SQL_EVIDENCE]
        assertions = [
            Assertion(
                level=LineageLevel.TABLE,
                source_id=source,
                target_id=target,
                transformation=TransformationType.ETL,
                confidence=TABLE_CONFIDENCE,
                evidence={**evidence, "facet": "inputs/outputs"},
            )
            for i in event.inputs
            for o in event.outputs
            if (source := mapped.get(i.key)) and (target := mapped.get(o.key)) and source != target
        ]
        assertions += await self._field_assertions(flows, mapped, evidence)
        report = await self._ingest.ingest(
            Origin(kind=OriginKind.OPENLINEAGE, key=event.job_key, label=event.job_name),
            assertions,
            actor=actor,
            replace=True,
        )
        return Received(
            new=True, materialised=report, unmapped=[k for k, v in mapped.items() if v is None]
        )

    async def _field_assertions(
        self,
        flows: list[tuple[Dataset, ol_facets.FieldFlow]],
        mapped: dict[str, str | None],
        evidence: dict[str, str],
    ) -> list[Assertion]:
        table_ids = sorted({t for t in mapped.values() if t})
        fields = await self.fields.by_tables(table_ids) if table_ids else {}
        by_name = {(tid, f.name.lower()): f.id for tid, listed in fields.items() for f in listed}
        assertions = []
        for output, flow in flows:
            target_table = mapped.get(output.key)
            source_table = mapped.get(f"{flow.namespace}/{flow.name}")
            if not target_table or not source_table:
                continue
            source = by_name.get((source_table, flow.input_field.lower()))
            target = by_name.get((target_table, flow.output_field.lower()))
            if source and target and source != target:
                assertions.append(
                    Assertion(
                        level=LineageLevel.FIELD,
                        source_id=source,
                        target_id=target,
                        transformation=flow.transformation,
                        confidence=FIELD_CONFIDENCE,
                        logic=flow.logic,
                        evidence={
                            **evidence,
                            "facet": "columnLineage",
                            "transformations": flow.transformations,
                        },
                    )
                )
        return assertions

    # Datasets a person maps

    async def datasets(
        self, *, unmapped: bool, first: int, offset: int
    ) -> tuple[list[DatasetRecord], int]:
        rows, total = await self.events.datasets(unmapped=unmapped, skip=offset, limit=first)
        return [DatasetRecord.from_row(r) for r in rows], total

    async def map_dataset(
        self, dataset_id: str, table_id: str | None, *, actor: str, create: bool = False
    ) -> DatasetRecord:
        """Says which table a dataset is (with `create`, a new table documented by hand,
        named as the dataset, with the fields its schema facet listed), then materialises
        again the last completed run of every job that named it."""
        if create and table_id is not None:
            raise ValidationError(
                "Give either tableId (the table the dataset is) or create: true (a new "
                "table for it), not both.",
                field="dataset.tableId",
            )
        found = await self.events.get_dataset(dataset_id)
        if found is None:
            raise NotFoundError(
                f"No OpenLineage dataset with id '{dataset_id}' exists; list them with "
                "openLineageDatasets.",
                field="dataset.id",
            )
        if create:
            known = DatasetRecord.from_row(found)
            schema, _, name = known.name.rpartition(".")
            table, _ = await self._catalog.create_table(
                TableDraft(
                    name=name,
                    schema=schema or None,
                    description=f"OpenLineage dataset {known.namespace}/{known.name}",
                    fields=[
                        FieldDraft(name=f.name, data_type=f.data_type, description=f.description)
                        for f in known.fields
                    ],
                ),
                actor=actor,
            )
            table_id = table.id
        elif table_id is not None and not await self.tables.get_many([table_id]):
            raise NotFoundError(
                f"No table with id '{table_id}' exists; pick a table from the catalog, or "
                "create one for the dataset.",
                field="dataset.tableId",
            )
        row = await self.events.map_dataset(dataset_id=dataset_id, table_id=table_id, actor=actor)
        assert row is not None  # read above; datasets are never deleted
        record = DatasetRecord.from_row(row)
        if record.table_id and record.fields:
            await self._add_fields({record.table_id: record.fields}, actor=actor)
        for run_id in (await self.events.last_complete_runs(record.jobs)).values():
            stored = await self.events.run_events(run_id)
            await self._materialise(
                merge_run([parse_event(json.loads(text)) for text in stored]), actor=actor
            )
        return record
