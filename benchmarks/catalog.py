"""Synthetic catalogs for the harness, written straight through the driver (set-up, not the
code being measured), and the interchange file the import case reads.

Every id carries a prefix per shape, so all shapes live in one database side by side:
- ``diamond``: ``layers`` layers of ``width`` tables; table i feeds i and i+1 of the next layer,
  so the paths from one root double per layer while the nodes grow by one (depth 10 from a
  layer-0 table reaches 55 tables through 512 paths).
- ``dense``: 10 layers of 64 tables, each feeding 4 of the next: 640 tables, 4^9 = 262,144
  paths from a layer-0 root at depth 10.
- ``big``: a root feeding ``width`` tables, then layers where each table feeds two, every table
  with fields and field edges beneath each table edge: the large render-ready graph.
- ``fan``: tables tagged ``fanout`` with fields chained by field lineage, for statement counts.
- ``small``: tables with a few fields, for the concurrent small query.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import AsyncDriver

# Lineage first, in batches of relationships: a batch of 10,000 nodes that each hold hundreds
# of pending edges would not fit in the transaction memory of a 1g heap.
WIPE = (
    "MATCH ()-[r:FLOWS_TO]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
    "MATCH (n) WHERE NOT n:ClewMigration AND NOT n:User AND NOT n:ApiToken "
    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
)
TABLES = """
UNWIND $rows AS row
CREATE (:Table {id: row.id, name: row.name, schema: row.schema, qualified_name: row.qualified,
                kind: 'TABLE', source_key: 'manual', tags: row.tags, description: row.description,
                search_text: row.search, created_at: datetime(), updated_at: datetime()})
"""
FIELDS = """
UNWIND $rows AS row
MATCH (t:Table {id: row.table_id})
CREATE (t)-[:HAS_FIELD]->(:Field {id: row.id, table_id: row.table_id, name: row.name,
        data_type: 'varchar(100)', nullable: true, ordinal_position: row.position,
        description: row.description, search_text: row.name, tags: [],
        created_at: datetime(), updated_at: datetime()})
"""
EDGES = """
UNWIND $rows AS row
MATCH (a:__NODE__ {id: row.up}), (b:__NODE__ {id: row.down})
CREATE (a)-[:FLOWS_TO {id: row.id, level: row.level, lineage_source: row.source,
                       confidence: row.confidence, review_state: row.review,
                       transformation_type: 'COPY', explicit: true, created_by: 'bench',
                       created_at: datetime(), updated_at: datetime()}]->(b)
"""
BATCH = 10_000
PENDING_TABLE_EDGES = 1000


@dataclass
class Sizes:
    diamond_tables: int
    diamond_layers: int
    big_width: int
    big_layers: int
    big_fields: int
    fan_tables: int
    small_tables: int
    pending_edges: int
    seed_tables: int
    # Part of the catalog's marker, so a catalog generated without them is not reused.
    pending_table_edges: int = PENDING_TABLE_EDGES


def table(prefix: str, key: str, *, tags: list[str] | None = None) -> dict[str, Any]:
    name = f"{prefix}_{key}"
    return {
        "id": f"{prefix}-{key}",
        "name": name,
        "schema": prefix,
        "qualified": f"{prefix}.{name}",
        "tags": tags or [],
        "description": f"Synthetic {prefix} table {key}",
        "search": f"{prefix} {name.replace('_', ' ')}",
    }


def edge(
    up: str, down: str, *, level: str = "TABLE", review: str = "NOT_REQUIRED", conf: float = 0.9
) -> dict[str, Any]:
    return {
        "id": f"e:{up}>{down}",
        "up": up,
        "down": down,
        "level": level,
        "source": "MANUAL" if review == "NOT_REQUIRED" else "INFERRED",
        "confidence": conf,
        "review": review,
    }


class Catalog:
    """Collects rows, then writes them in batches."""

    def __init__(self) -> None:
        self.tables: list[dict[str, Any]] = []
        self.fields: list[dict[str, Any]] = []
        self.table_edges: list[dict[str, Any]] = []
        self.field_edges: list[dict[str, Any]] = []

    def layered(self, prefix: str, *, layers: int, width: int, fan_out: int) -> None:
        for layer in range(layers):
            for i in range(width):
                self.tables.append(table(prefix, f"{layer:02d}-{i:06d}"))
        for layer in range(layers - 1):
            for i in range(width):
                for step in range(fan_out):
                    self.table_edges.append(
                        edge(
                            f"{prefix}-{layer:02d}-{i:06d}",
                            f"{prefix}-{layer + 1:02d}-{(i + step) % width:06d}",
                        )
                    )

    def big(self, *, width: int, layers: int, fields: int) -> None:
        ids = ["big-root"]
        self.tables.append(table("big", "root"))
        for layer in range(1, layers + 1):
            for i in range(width):
                self.tables.append(table("big", f"{layer:02d}-{i:04d}"))
                ids.append(f"big-{layer:02d}-{i:04d}")
        for table_id in ids:
            for f in range(fields):
                self.fields.append(
                    {
                        "id": f"{table_id}.c{f:02d}",
                        "table_id": table_id,
                        "name": f"c{f:02d}",
                        "position": f + 1,
                        "description": f"column {f}",
                    }
                )
        pairs = [("big-root", f"big-01-{i:04d}") for i in range(width)]
        for layer in range(1, layers):
            for i in range(width):
                for step in (0, 1):
                    pairs.append(
                        (
                            f"big-{layer:02d}-{i:04d}",
                            f"big-{layer + 1:02d}-{(i + step) % width:04d}",
                        )
                    )
        for n, (up, down) in enumerate(pairs):
            self.table_edges.append(edge(up, down))
            # Seven of the fields flow per table edge, shifted so every field takes part.
            for j in range(7):
                f = (j + 4 * n) % fields
                self.field_edges.append(edge(f"{up}.c{f:02d}", f"{down}.c{f:02d}", level="FIELD"))

    def with_fields(self, prefix: str, count: int, fields: int, *, tags: list[str]) -> None:
        for i in range(count):
            t = table(prefix, f"{i:06d}", tags=tags)
            self.tables.append(t)
            for f in range(fields):
                self.fields.append(
                    {
                        "id": f"{t['id']}.c{f:02d}",
                        "table_id": t["id"],
                        "name": f"c{f:02d}",
                        "position": f + 1,
                        "description": None,
                    }
                )

    def fan(self, count: int) -> None:
        self.with_fields("fan", count, 2, tags=["fanout"])
        for i in range(1, count):
            self.field_edges.append(edge(f"fan-{i - 1:06d}.c00", f"fan-{i:06d}.c00", level="FIELD"))

    def pending(self, count: int, tables: int = PENDING_TABLE_EDGES) -> None:
        """Pending inferred field edges between the small tables' fields (a bulk ingestion),
        and ``tables`` pending table edges: a queue of its own size in the same database
        (``reviewQueue(level: TABLE)``), to compare a first page against."""
        small = [t["id"] for t in self.tables if t["id"].startswith("small-")]
        if not small or not count:
            return
        for n in range(tables):
            self.table_edges.append(
                {
                    **edge(small[n % len(small)], small[(n + 1 + n // len(small)) % len(small)]),
                    "id": f"pt:{n}",
                    "review": "PENDING",
                    "source": "INFERRED",
                    "confidence": round(0.3 + (n % 60) / 100, 2),
                }
            )
        for n in range(count):
            up = small[n % len(small)]
            down = small[(n * 7 + 1 + n // len(small)) % len(small)]
            self.field_edges.append(
                {
                    **edge(f"{up}.c{n % 3:02d}", f"{down}.c{(n // 3) % 3:02d}", level="FIELD"),
                    "id": f"p:{n}",
                    "review": "PENDING",
                    "source": "INFERRED",
                    "confidence": round(0.3 + (n % 60) / 100, 2),
                }
            )

    async def write(self, driver: AsyncDriver, database: str | None) -> None:
        async def batches(statement: str, rows: list[dict[str, Any]]) -> None:
            for start in range(0, len(rows), BATCH):
                await driver.execute_query(
                    statement, {"rows": rows[start : start + BATCH]}, database_=database
                )

        await batches(TABLES, self.tables)
        await batches(FIELDS, self.fields)
        await batches(EDGES.replace("__NODE__", "Table"), self.table_edges)
        await batches(EDGES.replace("__NODE__", "Field"), self.field_edges)


def build(sizes: Sizes) -> Catalog:
    catalog = Catalog()
    catalog.layered(
        "diamond",
        layers=sizes.diamond_layers,
        width=sizes.diamond_tables // sizes.diamond_layers,
        fan_out=2,
    )
    catalog.layered("dense", layers=10, width=64, fan_out=4)
    # The seed's bar: 3-hop lineage on a graph of 1,000 nodes.
    catalog.layered("seed", layers=10, width=sizes.seed_tables // 10, fan_out=2)
    catalog.big(width=sizes.big_width, layers=sizes.big_layers, fields=sizes.big_fields)
    catalog.fan(sizes.fan_tables)
    catalog.with_fields("small", sizes.small_tables, 3, tags=[])
    catalog.pending(sizes.pending_edges, sizes.pending_table_edges)
    return catalog


# The interchange file of the import case: tables, fields and field lineage between
# consecutive tables (the shape benchmarks/import_100k.py used).
IMPORT_TABLES = ["source", "schema", "name", "kind", "description", "tags"]
IMPORT_FIELDS = ["schema", "table", "name", "data_type", "nullable", "ordinal_position"]
IMPORT_LINEAGE = [
    "upstream_schema",
    "upstream_table",
    "upstream_field",
    "downstream_schema",
    "downstream_table",
    "downstream_field",
    "lineage_source",
    "confidence",
    "transformation_type",
]


@dataclass(frozen=True)
class ImportShape:
    tables: int
    fields: int = 30
    lineage: int = 19

    @classmethod
    def for_rows(cls, rows: int) -> ImportShape:
        # 1 table + 30 fields + 19 field edges = 50 rows per table.
        return cls(tables=max(2, rows // 50))

    def sections(self, schema: str) -> dict[str, tuple[list[str], Iterator[list[Any]]]]:
        def table_rows() -> Iterator[list[Any]]:
            for t in range(self.tables):
                yield [None, schema, f"table_{t:06d}", "TABLE", f"Table number {t}", "bench"]

        def field_rows() -> Iterator[list[Any]]:
            for t in range(self.tables):
                for f in range(self.fields):
                    yield [
                        schema,
                        f"table_{t:06d}",
                        f"column_{f:03d}",
                        "varchar(100)",
                        "TRUE",
                        f + 1,
                    ]

        def lineage_rows() -> Iterator[list[Any]]:
            for t in range(1, self.tables):
                for f in range(min(self.lineage, self.fields)):
                    yield [
                        schema,
                        f"table_{t - 1:06d}",
                        f"column_{f:03d}",
                        schema,
                        f"table_{t:06d}",
                        f"column_{f:03d}",
                        "MANUAL",
                        0.8,
                        "COPY",
                    ]

        return {
            "tables": (IMPORT_TABLES, table_rows()),
            "fields": (IMPORT_FIELDS, field_rows()),
            "field_lineage": (IMPORT_LINEAGE, lineage_rows()),
        }

    def write_csv_zip(self, path: Path, schema: str) -> int:
        total = 0
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (header, rows) in self.sections(schema).items():
                with archive.open(f"{name}.csv", "w") as member:
                    text = io.TextIOWrapper(member, encoding="utf-8", newline="")
                    writer = csv.writer(text)
                    writer.writerow(header)
                    for row in rows:
                        writer.writerow(row)
                        total += 1
                    text.flush()
                    text.detach()
        return total
