"""The Cypher registry and migrations against the real Neo4j."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from neo4j.exceptions import CypherSyntaxError

from graph_api.models import LineageLevel
from graph_api.settings import REPO_ROOT
from graph_api.store.client import Store
from graph_api.store.cypher import CypherRegistry, CypherRegistryError
from graph_api.store.migrations import apply_migrations, pending_migrations


async def test_every_statement_compiles_against_neo4j(store: Store) -> None:
    assert len(store.cypher) > 10
    failures = {}
    for name in store.cypher:
        # Statements with a label slot are checked once per label they can take; a depth
        # slot takes the deepest traversal allowed.
        slots = store.cypher.slots(name)
        variants: list[dict[str, Any] | None] = (
            [
                {"node": level, **({"depth": 10} if "depth" in slots else {})}
                for level in LineageLevel
            ]
            if "node" in slots
            else [{"depth": 10}]
            if slots
            else [None]
        )
        for slots in variants:
            try:
                await store.driver.execute_query(
                    "EXPLAIN " + store.cypher.render(name, slots), database_=store.database
                )
            except CypherSyntaxError as exc:
                failures[f"{name} {slots}"] = exc.message
    assert failures == {}


async def test_migrations_are_recorded_and_idempotent(store: Store) -> None:
    assert await pending_migrations(store) == []
    assert await apply_migrations(store) == []
    records, _, _ = await store.driver.execute_query(
        "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names", database_=store.database
    )
    assert {"table_id", "table_qualified_name", "field_name_in_table", "lineage_id"} <= set(
        records[0]["names"]
    )


def test_unknown_statement_fails_fast() -> None:
    registry = CypherRegistry.load(REPO_ROOT / "cypher")
    with pytest.raises(CypherRegistryError, match="No Cypher statement named 'tables/nope'"):
        registry["tables/nope"]


def test_registry_rejects_two_statements_in_one_file(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "bad.cypher").write_text("MATCH (n) RETURN n; MATCH (m) RETURN m")
    with pytest.raises(CypherRegistryError, match="more than one statement"):
        CypherRegistry.load(tmp_path)


def test_slots_take_only_enum_members() -> None:
    registry = CypherRegistry.load(REPO_ROOT / "cypher")
    assert "Field" in registry.render("lineage/between", {"node": LineageLevel.FIELD})
    with pytest.raises(CypherRegistryError, match="takes an Enum member"):
        registry.render("lineage/between", {"node": "Table) DETACH DELETE (x"})  # type: ignore[dict-item]
    with pytest.raises(CypherRegistryError, match="needs slots"):
        registry.render("lineage/between")


def test_depth_slots_take_only_bounded_integers() -> None:
    registry = CypherRegistry.load(REPO_ROOT / "cypher")
    text = registry.render("lineage/traverse", {"node": LineageLevel.TABLE, "depth": 7})
    assert "*1..7]" in text
    for bad in ("3] DETACH DELETE (x", 101, -1, True):
        with pytest.raises(CypherRegistryError, match="takes an integer from 0 to 100"):
            registry.render("lineage/traverse", {"node": LineageLevel.TABLE, "depth": bad})  # type: ignore[dict-item]


def test_no_cypher_outside_the_cypher_folder() -> None:
    offenders = []
    for path in (REPO_ROOT / "graph_api").rglob("*.py"):
        text = path.read_text()
        for keyword in ("MATCH (", "MERGE (", "CREATE (", "DETACH DELETE"):
            if keyword in text:
                offenders.append(f"{path.relative_to(REPO_ROOT)}: {keyword}")
    assert offenders == []
