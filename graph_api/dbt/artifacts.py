"""manifest.json and catalog.json, read key by key.

What is read (and nothing else): `metadata.{project_name, adapter_type, dbt_schema_version}`;
`nodes[*]` and `sources[*]`: `unique_id, resource_type, name, package_name, database, schema,
alias | identifier, relation_name, config.materialized, language, compiled_code, depends_on.nodes,
description, tags, columns[*].{name, description, data_type, tags}, source_name`; `parent_map`
when a node has no `depends_on`; from the catalog `nodes|sources[uid].columns[*].{name, type,
index, comment}`. Everything else in the files is ignored, whatever it is.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph_api.errors import ValidationError

# The resources that are relations in the warehouse, and so tables in Clew.
RELATIONS = ("model", "seed", "snapshot", "source")
# dbt's prefix for an ephemeral model inlined into its dependents as a CTE.
EPHEMERAL_PREFIX = "__dbt__cte__"
COMPILE_HINT = (
    "run `dbt compile` (or `dbt build` / `dbt run`) and upload the manifest.json it writes: "
    "`dbt test`, `dbt parse` and `dbt source freshness` write manifests without compiled SQL"
)


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Something in the artifacts Clew could not use, and what to do about it."""

    code: str
    message: str
    unique_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class DbtColumn:
    name: str
    data_type: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    index: int | None = None


@dataclass(frozen=True, kw_only=True)
class DbtNode:
    unique_id: str
    resource_type: str
    name: str
    database: str | None
    schema: str | None
    identifier: str
    materialized: str | None = None
    language: str | None = None
    compiled_code: str | None = None
    depends_on: tuple[str, ...] = ()
    description: str | None = None
    tags: tuple[str, ...] = ()
    columns: tuple[DbtColumn, ...] = ()

    @property
    def ephemeral(self) -> bool:
        return self.materialized == "ephemeral"

    @property
    def cte_name(self) -> str:
        """The name dbt gives this (ephemeral) model where it inlines it."""
        return EPHEMERAL_PREFIX + self.name


@dataclass(kw_only=True)
class DbtProject:
    name: str
    adapter_type: str | None
    schema_version: str | None
    nodes: dict[str, DbtNode]
    problems: list[Problem] = field(default_factory=list)

    def in_dependency_order(self) -> list[DbtNode]:
        """Every node after the nodes it depends on (cycles, which dbt refuses, are broken
        where they are found), ties in unique_id order so that runs are repeatable."""
        done: set[str] = set()
        ordered: list[DbtNode] = []
        for start in sorted(self.nodes):
            stack: list[tuple[str, int]] = [(start, 0)]
            visiting: set[str] = set()
            while stack:
                uid, position = stack.pop()
                if uid in done:
                    continue
                parents = sorted(p for p in self.nodes[uid].depends_on if p in self.nodes)
                visiting.add(uid)
                if position < len(parents):
                    stack.append((uid, position + 1))
                    parent = parents[position]
                    if parent not in done and parent not in visiting:
                        stack.append((parent, 0))
                    continue
                visiting.discard(uid)
                done.add(uid)
                ordered.append(self.nodes[uid])
        return ordered


def load_json(data: bytes, *, what: str, field_path: str) -> Mapping[str, Any]:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(
            f"The {what} is not JSON ({exc}); upload the {what} dbt wrote in target/.",
            field=field_path,
        ) from None
    if not isinstance(value, dict):
        raise ValidationError(
            f"The {what} is a JSON {type(value).__name__}, not an object; upload the {what} "
            "dbt wrote in target/.",
            field=field_path,
        )
    return value


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str) and v.strip())
    return ()


def _columns(raw: Any, catalog: Mapping[str, Any]) -> tuple[DbtColumn, ...]:
    """The manifest's documented columns, with the catalog's real types and order; a column
    only the catalog knows is kept too (most projects document a few columns only)."""
    documented: dict[str, Mapping[str, Any]] = {}
    for key, column in _dict(raw).items():
        column = _dict(column)
        name = _text(column.get("name")) or _text(key)
        if name:
            documented[name.lower()] = {**column, "name": name}
    found: dict[str, Mapping[str, Any]] = {}
    for key, column in _dict(catalog.get("columns")).items():
        column = _dict(column)
        name = _text(column.get("name")) or _text(key)
        if name:
            found[name.lower()] = {**column, "name": name}
    columns = []
    for lower in [*found, *(n for n in documented if n not in found)]:
        doc, cat = documented.get(lower, {}), found.get(lower, {})
        index = cat.get("index")
        columns.append(
            DbtColumn(
                name=str(cat.get("name") or doc.get("name")),
                data_type=_text(cat.get("type")) or _text(doc.get("data_type")),
                description=_text(doc.get("description")) or _text(cat.get("comment")),
                tags=_strings(doc.get("tags")),
                index=index if isinstance(index, int) and not isinstance(index, bool) else None,
            )
        )
    columns.sort(key=lambda c: (c.index is None, c.index or 0))
    return tuple(columns)


def _node(
    uid: str, raw: Mapping[str, Any], catalog: Mapping[str, Any], parent_map: Mapping[str, Any]
) -> DbtNode | None:
    resource_type = _text(raw.get("resource_type")) or uid.split(".", 1)[0]
    if resource_type not in RELATIONS:
        return None
    name = _text(raw.get("name")) or uid.rsplit(".", 1)[-1]
    config = _dict(raw.get("config"))
    if resource_type == "source":
        identifier = _text(raw.get("identifier")) or name
    else:
        identifier = _text(raw.get("alias")) or name
    depends = _dict(raw.get("depends_on")).get("nodes")
    depends_on = _strings(depends) if depends is not None else _strings(parent_map.get(uid))
    return DbtNode(
        unique_id=uid,
        resource_type=resource_type,
        name=name,
        database=_text(raw.get("database")),
        schema=_text(raw.get("schema")),
        identifier=identifier,
        materialized=_text(config.get("materialized")) or _text(raw.get("materialized")),
        language=_text(raw.get("language")),
        compiled_code=_text(raw.get("compiled_code")) or _text(raw.get("compiled_sql")),
        depends_on=tuple(dict.fromkeys(depends_on)),
        description=_text(raw.get("description")),
        tags=tuple(dict.fromkeys(_strings(raw.get("tags")) + _strings(config.get("tags")))),
        columns=_columns(raw.get("columns"), catalog),
    )


def _project_name(metadata: Mapping[str, Any], nodes: Mapping[str, Any]) -> str | None:
    named = _text(metadata.get("project_name"))
    if named:
        return named
    packages = Counter(
        _text(_dict(n).get("package_name"))
        for n in nodes.values()
        if _dict(n).get("resource_type") == "model"
    )
    packages.pop(None, None)
    return packages.most_common(1)[0][0] if packages else None


def _expect(metadata: Mapping[str, Any], kind: str, other: str) -> None:
    """dbt names each artifact's kind in its schema URL (.../dbt/manifest/v12.json)."""
    version = _text(metadata.get("dbt_schema_version")) or ""
    if f"/{other}/" in version:
        raise ValidationError(
            f"This file is a {other}.json ({version}); upload target/{kind}.json as the "
            f"{kind}, and the {other}.json as the {other}.",
            field=kind,
        )


def read_project(
    manifest: Mapping[str, Any],
    catalog: Mapping[str, Any] | None = None,
    *,
    project: str | None = None,
) -> DbtProject:
    """The relations a manifest declares, with the catalog's column types."""
    metadata = _dict(manifest.get("metadata"))
    _expect(metadata, "manifest", "catalog")
    if catalog is not None:
        _expect(_dict(catalog.get("metadata")), "catalog", "manifest")
    raw_nodes = _dict(manifest.get("nodes"))
    raw_sources = _dict(manifest.get("sources"))
    if not raw_nodes and not raw_sources:
        raise ValidationError(
            "The manifest declares no nodes and no sources; upload the target/manifest.json "
            "of a dbt project (it has 'nodes' and 'sources' at its top).",
            field="manifest",
        )
    name = _text(project) or _project_name(metadata, raw_nodes)
    if name is None:
        raise ValidationError(
            "The manifest does not name its project (metadata.project_name); give the "
            "project's name.",
            field="project",
        )
    catalog = _dict(catalog)
    cat_nodes, cat_sources = _dict(catalog.get("nodes")), _dict(catalog.get("sources"))
    parent_map = _dict(manifest.get("parent_map"))
    nodes: dict[str, DbtNode] = {}
    problems: list[Problem] = []
    for group, cat in ((raw_nodes, cat_nodes), (raw_sources, cat_sources)):
        for uid, raw in group.items():
            if not isinstance(raw, dict) or not isinstance(uid, str):
                problems.append(
                    Problem(code="UNREADABLE_NODE", message=f"'{uid}' is not an object; skipped.")
                )
                continue
            node = _node(uid, raw, _dict(cat.get(uid)), parent_map)
            if node is not None:
                nodes[uid] = node
    missing = [
        n.unique_id
        for n in nodes.values()
        if n.resource_type in ("model", "snapshot")
        and n.language in (None, "sql")
        and n.compiled_code is None
    ]
    if missing:
        problems.append(
            Problem(
                code="NO_COMPILED_CODE",
                message=f"{len(missing)} model(s) have no compiled SQL (for example "
                f"'{missing[0]}'), so their column lineage is missing; " + COMPILE_HINT + ".",
                unique_id=missing[0],
            )
        )
    return DbtProject(
        name=name,
        adapter_type=_text(metadata.get("adapter_type")),
        schema_version=_text(metadata.get("dbt_schema_version")),
        nodes=nodes,
        problems=problems,
    )
