"""A generated dbt project for the ingestion benchmark: `models` models over 20 sources, each
reading one to three earlier relations through a chain of CTEs (rename, join, aggregate),
every tenth model ephemeral (inlined into its dependents as `__dbt__cte__<name>`), 10 columns
each; manifest v12 and catalog as dbt writes them (only the keys Clew reads, and a few it
does not)."""

from __future__ import annotations

import random
from typing import Any

COLUMNS = ["id", *(f"c{i}" for i in range(1, 10))]
SOURCES = 20


def _relation(name: str, schema: str) -> str:
    return f'"bench"."{schema}"."{name}"'


def _sql(parents: list[tuple[str, str, bool]], compiled: dict[str, str]) -> str:
    """parents: (unique_id, relation or CTE name, ephemeral)."""
    ctes: list[str] = []
    for uid, name, ephemeral in parents:
        if ephemeral:
            ctes.append(f"{name} as (\n{compiled[uid]}\n)")
    letters = []
    for index, (_, name, _) in enumerate(parents):
        letter = f"p{index}"
        letters.append(letter)
        ctes.append(f"{letter} as (select * from {name})")
    first = letters[0]
    picks = [f"{first}.id"]
    for i, column in enumerate(COLUMNS[1:], start=1):
        other = letters[i % len(letters)]
        picks.append(
            f"{other}.{column} + {first}.c{(i % 9) + 1} as {column}"
            if i % 3 == 0
            else f"{other}.{column}"
        )
    joins = " ".join(f"left join {x} on {x}.id = {first}.id" for x in letters[1:])
    ctes.append(f"joined as (select {', '.join(picks)} from {first} {joins})")
    aggregates = ", ".join(
        f"sum({c}) as {c}" if i % 2 else f"max({c}) as {c}" for i, c in enumerate(COLUMNS[1:])
    )
    ctes.append(f"grouped as (select id, {aggregates} from joined group by id)")
    return "with " + ",\n".join(ctes) + "\nselect * from grouped"


def generate(models: int, *, seed: int = 7) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = random.Random(seed)
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    catalog_nodes: dict[str, Any] = {}
    catalog_sources: dict[str, Any] = {}
    compiled: dict[str, str] = {}
    relations: list[tuple[str, str, bool]] = []
    columns = {c: {"name": c, "description": f"{c} of the row", "tags": []} for c in COLUMNS}
    types = {
        c: {"name": c, "type": "integer", "index": i + 1, "comment": None}
        for i, c in enumerate(COLUMNS)
    }
    for i in range(SOURCES):
        uid = f"source.bench.raw.src_{i}"
        sources[uid] = {
            "unique_id": uid,
            "resource_type": "source",
            "name": f"src_{i}",
            "source_name": "raw",
            "database": "bench",
            "schema": "raw",
            "identifier": f"src_{i}",
            "relation_name": _relation(f"src_{i}", "raw"),
            "columns": columns,
            "tags": [],
            "description": "",
            "config": {"enabled": True},
            "loader": "",
            "freshness": None,
        }
        catalog_sources[uid] = {"columns": types, "metadata": {"type": "BASE TABLE"}}
        relations.append((uid, _relation(f"src_{i}", "raw"), False))
    for i in range(models):
        name = f"m_{i}"
        uid = f"model.bench.{name}"
        ephemeral = i % 10 == 9
        pool = [r for r in relations if not (ephemeral and r[2])]
        parents = rng.sample(pool[-60:], k=min(len(pool), rng.randint(1, 3)))
        code = _sql(parents, compiled)
        compiled[uid] = code
        nodes[uid] = {
            "unique_id": uid,
            "resource_type": "model",
            "name": name,
            "package_name": "bench",
            "database": "bench",
            "schema": "analytics",
            "alias": name,
            "relation_name": None if ephemeral else _relation(name, "analytics"),
            "config": {"materialized": "ephemeral" if ephemeral else "table", "tags": []},
            "language": "sql",
            "compiled": True,
            "compiled_code": code,
            "raw_code": "-- generated",
            "depends_on": {"nodes": [p[0] for p in parents], "macros": []},
            "description": f"Model {i}",
            "tags": ["bench"],
            "columns": columns,
            "meta": {},
            "checksum": {"name": "sha256", "checksum": "0" * 64},
            "fqn": ["bench", name],
        }
        if not ephemeral:
            catalog_nodes[uid] = {"columns": types, "metadata": {"type": "BASE TABLE"}}
        relations.append(
            (uid, f"__dbt__cte__{name}" if ephemeral else _relation(name, "analytics"), ephemeral)
        )
    manifest = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.9.4",
            "project_name": "bench",
            "adapter_type": "postgres",
        },
        "nodes": nodes,
        "sources": sources,
        "macros": {},
        "docs": {},
        "exposures": {},
        "parent_map": {},
        "child_map": {},
    }
    catalog = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
        "nodes": catalog_nodes,
        "sources": catalog_sources,
    }
    return manifest, catalog
