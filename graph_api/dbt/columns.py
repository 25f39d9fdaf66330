"""Column lineage of a dbt project from its compiled SQL, model by model in dependency order.

Each model's `compiled_code` is parsed against the columns of the relations it depends on.
dbt inlines an ephemeral model into its dependents as a CTE named `__dbt__cte__<name>`; the
parser follows such a CTE like any other, and where a manifest references one without
inlining it, the ephemeral model's own lineage (worked out earlier, being upstream) stands in
for it. A column edge is kept only when its upstream relation is one the model depends on
(`depends_on`, through ephemeral models): the SQL may name tables dbt does not know about, and
those are reported, not guessed.

As for a SQL proposal (`graph_api/sql_lineage`), the columns a model only joins, filters,
groups or sorts on become JOIN, FILTER, GROUP_BY or SORT edges to every column it writes, and
each model's edges carry its statement's confidence, `0.2 + 0.7 x resolved / referenced` over
the relations and columns it reads and writes (0.9 when everything resolved).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from graph_api.dbt.artifacts import EPHEMERAL_PREFIX, DbtNode, DbtProject, Problem
from graph_api.dbt.lineage import relation_parents
from graph_api.models import TransformationType
from graph_api.sql_lineage import confidence

# Carrying a value unchanged, in the order a chain's weakest link decides.
_STRENGTH = [
    TransformationType.COPY,
    TransformationType.DIRECT,
    TransformationType.VIEW,
    TransformationType.ETL,
    TransformationType.CUSTOM,
    TransformationType.AGGREGATION,
    TransformationType.SPLIT,
    TransformationType.WINDOW,
    TransformationType.CONDITIONAL,
    TransformationType.JOIN,
    TransformationType.FILTER,
    TransformationType.GROUP_BY,
    TransformationType.SORT,
]
ADAPTER_DIALECTS = {
    "postgres": "postgres",
    "redshift": "postgres",
    "mysql": "mysql",
    "oracle": "oracle",
}


@dataclass(frozen=True)
class Upstream:
    """One column a parsed output column comes from, as the parser names it."""

    database: str | None
    schema: str | None
    table: str
    column: str
    transformation: TransformationType
    expression: str | None


@dataclass(frozen=True)
class Parsed:
    outputs: dict[str, list[Upstream]]
    problem: str | None = None
    # Columns the parser could place in no relation (or a `*` over columns it does not know).
    unplaced: tuple[str, ...] = ()
    # Columns that only join, filter, group or sort (transformation JOIN, FILTER, ...).
    indirect: tuple[Upstream, ...] = ()


# (sql, dialect, {database: {schema: {table: {column: type}}}}) -> the output columns' sources.
Parser = Callable[[str, str, Mapping[str, Mapping[str, Mapping[str, Mapping[str, str]]]]], Parsed]


@dataclass(frozen=True)
class ColumnFlow:
    source_uid: str
    source_column: str
    target_uid: str
    target_column: str
    transformation: TransformationType
    expression: str | None
    confidence: float


def _weakest(a: TransformationType, b: TransformationType) -> TransformationType:
    return max(a, b, key=lambda t: _STRENGTH.index(t) if t in _STRENGTH else len(_STRENGTH))


def _key(*parts: str | None) -> tuple[str, ...]:
    return tuple((p or "").lower() for p in parts)


def column_flows(
    project: DbtProject,
    columns: Mapping[str, list[str]],
    parse: Parser,
) -> tuple[list[ColumnFlow], dict[str, list[str]], list[Problem]]:
    """The column edges between the project's relations, each model's output columns (a model
    may have columns neither its manifest nor the catalog lists), and what could not be read.
    `columns` gives the known columns of each relation, by unique_id."""
    dialect = ADAPTER_DIALECTS.get(project.adapter_type or "", "generic")
    by_relation: dict[tuple[str, ...], str] = {}
    by_cte: dict[str, str] = {}
    for node in project.nodes.values():
        if node.ephemeral:
            by_cte[node.cte_name.lower()] = node.unique_id
        else:
            by_relation[_key(node.database, node.schema, node.identifier)] = node.unique_id
            by_relation[_key(None, node.schema, node.identifier)] = node.unique_id
    # What each model's columns come from, in relation columns: (uid, column, transformation).
    lineage: dict[str, dict[str, list[tuple[str, str, TransformationType, str | None]]]] = {}
    outputs: dict[str, list[str]] = {}
    flows: list[ColumnFlow] = []
    problems: list[Problem] = []
    for node in project.in_dependency_order():
        if node.compiled_code is None or node.resource_type not in ("model", "snapshot"):
            continue
        parents = relation_parents(project, node)
        schema = _schema(project, node, parents, columns, lineage)
        parsed = parse(node.compiled_code, dialect, schema)
        if parsed.problem:
            problems.append(
                Problem(code="SQL_NOT_PARSED", message=parsed.problem, unique_id=node.unique_id)
            )
            continue
        have = {
            uid: {
                c.lower() for c in columns.get(uid) or [c.name for c in project.nodes[uid].columns]
            }
            for uid in parents
        }
        reading = _Reading(have, by_relation, by_cte, lineage)
        own: dict[str, list[tuple[str, str, TransformationType, str | None]]] = {}
        for output, sources in parsed.outputs.items():
            reading.referenced.add(("OUTPUT", output.lower()))
            reading.resolved.add(("OUTPUT", output.lower()))
            found = own.setdefault(output, [])
            for up in sources:
                found += reading.place(up)
        indirect = [p for up in parsed.indirect for p in reading.place(up)]
        reading.referenced |= {("COLUMN", name) for name in parsed.unplaced}
        unknown = reading.unknown
        if unknown:
            problems.append(
                Problem(
                    code="UNDECLARED_RELATION",
                    message=f"The compiled SQL of '{node.unique_id}' reads "
                    f"{', '.join(sorted(unknown))}, which it does not depend on in the "
                    "manifest (use ref() or source()); those columns' lineage is left out.",
                    unique_id=node.unique_id,
                )
            )
        if parsed.unplaced:
            problems.append(
                Problem(
                    code="UNRESOLVED_COLUMNS",
                    message=f"In the compiled SQL of '{node.unique_id}', "
                    f"{', '.join(sorted(set(parsed.unplaced))[:10])} could not be traced to a "
                    "column of a relation the model depends on; upload catalog.json (dbt docs "
                    "generate) so that Clew knows every column.",
                    unique_id=node.unique_id,
                )
            )
        lineage[node.unique_id] = {c.lower(): v for c, v in own.items()}
        outputs[node.unique_id] = list(own)
        if node.ephemeral:
            continue
        score = confidence(len(reading.resolved), len(reading.referenced))
        for output, found_for in own.items():
            seen: set[tuple[str, str]] = set()
            for uid, column, kind, expr in dict.fromkeys(found_for):
                seen.add((uid, column.lower()))
                flows.append(ColumnFlow(uid, column, node.unique_id, output, kind, expr, score))
            # Each column that shapes the rows, once, unless it also carries a value here.
            for uid, column, kind, expr in indirect:
                if (uid, column.lower()) not in seen:
                    seen.add((uid, column.lower()))
                    flows.append(ColumnFlow(uid, column, node.unique_id, output, kind, expr, score))
    return flows, outputs, problems


Source = tuple[str, str, TransformationType, str | None]


class _Reading:
    """What one model's SQL reads, placed in the relations it depends on (`allowed`: each
    with its known columns); with the names it reads and writes and those found (for its
    confidence) and the relations it should not read."""

    def __init__(
        self,
        allowed: Mapping[str, set[str]],
        by_relation: Mapping[tuple[str, ...], str],
        by_cte: Mapping[str, str],
        lineage: Mapping[str, Mapping[str, list[Source]]],
    ) -> None:
        self.allowed = allowed
        self.by_relation = by_relation
        self.by_cte = by_cte
        self.lineage = lineage
        self.referenced: set[tuple[str, ...]] = set()
        self.resolved: set[tuple[str, ...]] = set()
        self.unknown: set[str] = set()

    def place(self, up: Upstream) -> list[Source]:
        """The relation columns an upstream column stands for (through an ephemeral model's
        lineage); none when it is in a relation the model does not depend on."""
        table = up.table.lower()
        cte = self.by_cte.get(table) if table.startswith(EPHEMERAL_PREFIX) else None
        if cte is not None:
            return [
                (uid, column, _weakest(kind, up.transformation), expr)
                for uid, column, kind, expr in self.lineage.get(cte, {}).get(up.column.lower(), [])
            ]
        relation = self.by_relation.get(
            _key(up.database, up.schema, up.table)
        ) or self.by_relation.get(_key(None, up.schema, up.table))
        if relation is None or relation not in self.allowed:
            name = ".".join(p for p in (up.database, up.schema, up.table) if p)
            self.unknown.add(name)
            self.referenced.add(("TABLE", name))
            return []
        column = ("COLUMN", relation, up.column.lower())
        self.referenced |= {("TABLE", relation), column}
        self.resolved.add(("TABLE", relation))
        if up.column.lower() in self.allowed[relation]:
            self.resolved.add(column)
        return [(relation, up.column, up.transformation, up.expression)]


def _schema(
    project: DbtProject,
    node: DbtNode,
    parents: list[str],
    columns: Mapping[str, list[str]],
    lineage: Mapping[str, Mapping[str, object]],
) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for uid in parents:
        parent = project.nodes[uid]
        cols = columns.get(uid) or [c.name for c in parent.columns]
        if cols:
            table = schema.setdefault(parent.database or "", {}).setdefault(parent.schema or "", {})
            table[parent.identifier] = {c: "" for c in cols}
    # Ephemeral models the SQL may name without inlining them.
    for uid in node.depends_on:
        ephemeral = project.nodes.get(uid)
        if ephemeral is not None and ephemeral.ephemeral and uid in lineage:
            target = schema.setdefault(node.database or "", {}).setdefault(node.schema or "", {})
            target[ephemeral.cte_name] = {c: "" for c in lineage[uid]}
    return schema
