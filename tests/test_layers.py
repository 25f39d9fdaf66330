"""The layering, checked over the source: arrows go schema -> services -> store, only the
store runs statements against Neo4j, and the leaves (connectors, the lineage rules, the
interchange codecs) import nothing above them.

Read with ``ast``, so an import inside a function or under ``TYPE_CHECKING`` counts as much as
one at the top of a file.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "graph_api"

# Modules every floor may use: domain models and errors, settings and plumbing with no
# knowledge of any floor.
BASE = {
    "graph_api",
    "graph_api.errors",
    "graph_api.models",
    "graph_api.settings",
    "graph_api.secrets",
    "graph_api.logs",
    "graph_api.events",
}
# Entry points wire everything together: they may import any floor, and they build the
# Store (so they load the statement registry).
ENTRY_POINTS = {
    "graph_api.app",
    "graph_api.cli",
    "graph_api.graphql_http",
    "graph_api.graphiql",
    "graph_api.interchange_http",
    "graph_api.interchange_cli",
    "graph_api.openlineage_http",
    "graph_api.scan_cli",
}
# The floors, lowest first; a module may import its own floor and any floor below it. The
# loaders batch repository reads for one request, so they sit just above the store; the
# request context (who is signed in, loaders, services) belongs to the schema.
FLOORS = [
    ("graph_api.store",),
    ("graph_api.loaders",),
    ("graph_api.services",),
    ("graph_api.schema", "graph_api.context"),
]
# Leaves import only BASE, their own package and other leaves.
LEAVES = [
    "graph_api.connectors",
    "graph_api.lineage_rules",
    "graph_api.scan_rules",
    "graph_api.input_rules",
    "graph_api.auth.roles",
    "graph_api.names",
    "graph_api.sql_lineage",
    "graph_api.dbt",
    "graph_api.openlineage",
]
# The interchange format (codecs, validation, plan, report): a leaf package too.
CODECS = ["graph_api.interchange", "graph_api.interchange.codecs"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path, ast.parse(path.read_text(), filename=str(path))


def imported(name: str, path: Path, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every graph_api module `tree` imports, with the line (``from x import y`` yields
    ``x.y`` when y is a module, else ``x``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(
                    ".py"
                ).exists() or (PACKAGE.parent / Path(*candidate.split("."))).is_dir()
                yield node.lineno, candidate if is_module else base


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def floor_of(module: str) -> int | None:
    for index, floor in enumerate(FLOORS):
        if any(within(module, prefix) for prefix in floor):
            return index
    return None


def test_no_module_imports_one_on_a_higher_floor() -> None:
    wrong = []
    for name, path, tree in modules():
        mine = floor_of(name)
        if mine is None or name in ENTRY_POINTS:
            continue
        for line, target in sorted(set(imported(name, path, tree))):
            theirs = floor_of(target)
            if (theirs is not None and theirs > mine) or target in ENTRY_POINTS:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert wrong == [], "schema -> services -> store only:\n" + "\n".join(wrong)


@pytest.mark.parametrize("leaf", LEAVES + CODECS)
def test_leaves_import_nothing_above_them(leaf: str) -> None:
    found = False
    wrong = []
    for name, path, tree in modules():
        if not within(name, leaf) or name in ENTRY_POINTS:
            continue
        found = True
        own = leaf if not leaf.startswith("graph_api.interchange") else "graph_api.interchange"
        for line, target in imported(name, path, tree):
            if not within(target, "graph_api") or target in BASE or within(target, own):
                continue
            if any(within(target, other) for other in LEAVES):
                continue
            if leaf in CODECS and within(target, "graph_api.interchange"):
                continue
            wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    if leaf in CODECS and not found:
        pytest.skip(f"{leaf} is not in this tree")
    assert found, f"{leaf} does not exist any more: update LEAVES"
    assert wrong == [], f"{leaf} is a leaf:\n" + "\n".join(wrong)


# Names through which a statement reaches Neo4j: the driver's and the Store's.
_RUNNERS = {"run", "read", "write", "execute_query", "execute_read", "execute_write"}
_DRIVER_ONLY = {"execute_query", "execute_read", "execute_write", "session", "begin_transaction"}


def _statement_calls(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        if method in _DRIVER_ONLY:
            yield node.lineno, method
        elif method in _RUNNERS and node.args:
            first = node.args[0]
            # A named statement ("tables/get_by_ids") or Cypher text, passed as a string.
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                text = first.value
                if "/" in text or any(w in text.upper() for w in ("MATCH ", "RETURN ")):
                    yield node.lineno, f"{method}({text!r})"
            elif isinstance(first, ast.JoinedStr):
                yield node.lineno, f"{method}(f-string)"


def test_only_the_store_runs_statements() -> None:
    wrong = []
    for name, path, tree in modules():
        if within(name, "graph_api.store") or within(name, "graph_api.neo4j_local"):
            continue
        for line, call in _statement_calls(tree):
            wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} runs {call}")
    assert wrong == [], "go through a repository method:\n" + "\n".join(wrong)


def test_only_the_store_and_entry_points_touch_the_registry_or_the_driver() -> None:
    wrong = []
    for name, path, tree in modules():
        if within(name, "graph_api.store") or within(name, "graph_api.neo4j_local"):
            continue
        for line, target in imported(name, path, tree):
            if within(target, "graph_api.store.cypher") and name not in ENTRY_POINTS:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
            # The driver's exceptions tell an outage from a bug anywhere; its API is the store's.
            if within(target, "neo4j") and not within(target, "neo4j.exceptions"):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"cypher", "driver"}
                and name not in ENTRY_POINTS
            ):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} uses .{node.attr}")
    assert wrong == [], "\n".join(wrong)


def test_the_checks_see_a_violation() -> None:
    # The checks above pass on an empty tree too; make sure they would catch one.
    tree = ast.parse(
        "async def f(tx, store):\n"
        "    await tx.run('tables/get_by_ids', ids=[])\n"
        "    await store.driver.execute_query('MATCH (n) RETURN n')\n"
        "    from graph_api.schema.catalog import CatalogQuery\n"
    )
    assert [call for _, call in _statement_calls(tree)] == [
        "run('tables/get_by_ids')",
        "execute_query",
    ]
    path = PACKAGE / "store" / "example.py"
    targets = [t for _, t in imported("graph_api.store.example", path, tree)]
    assert targets == ["graph_api.schema.catalog"]
    assert floor_of(targets[0]) == 3 and floor_of("graph_api.store.example") == 0


def test_every_root_field_answers_user_errors_through_one_extension() -> None:
    # One place turns a ClewError into a typed error and maps its path: no resolver of its
    # own catches ClewError.
    from graph_api.schema import Mutation, Query
    from graph_api.schema.user_errors import UserErrors

    missing = [
        f"{root.__name__}.{field.python_name}"
        for root in (Query, Mutation)
        for field in root.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if not any(isinstance(e, UserErrors) for e in field.extensions)
    ]
    assert missing == []
    catching = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for name, path, tree in modules()
        if within(name, "graph_api.schema") and not path.name == "user_errors.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler)
        and isinstance(node.type, ast.Name)
        and node.type.id == "ClewError"
    ]
    assert catching == []


def test_map_path_replaces_whole_steps_only() -> None:
    from graph_api.schema.user_errors import map_path

    paths = {"table": "input", "table.sourceId": "sourceId", "fields[0]": "input"}
    assert map_path("table.fields[1].name", paths) == "input.fields[1].name"
    assert map_path("table.sourceId", paths) == "sourceId"
    assert map_path("fields[0].name", paths) == "input.name"
    assert map_path("fields[10].name", paths) == "fields[10].name"
    assert map_path("tables", paths) == "tables"
    assert map_path(None, paths) is None
