"""Column lineage of one query whose outputs land, by position, in a target's columns.

sqlglot's `lineage()` (always with the schema) traces each output column through CTEs,
subqueries and UNION branches to the base tables' columns; this module decides what each
path means: a bare column carried through every step is DIRECT, an aggregate on the way is
AGGREGATION, any other expression ETL; a column that only decides a CASE branch (or the
branch of DECODE, NVL2, IF) is CONDITIONAL, one only in a window's PARTITION BY or ORDER BY is
WINDOW, one only in an aggregate's FILTER (WHERE ...) is FILTER, one only in GROUPING() is
GROUP_BY, one only ordering an aggregate's input (LISTAGG ... WITHIN GROUP) is SORT. The
right side of an EXCEPT only removes rows: its columns are FILTER. Columns used in the
query's joins, filters, grouping and ordering are collected apart (JOIN, FILTER, GROUP_BY,
SORT): they shape every output row, so they are never mixed in with the direct inputs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from graph_api.models import TransformationType as T

OUTPUT = "__clew_{}"
# The weaker role wins along a path: a column that only decides a CASE branch, anywhere on
# the way, does not carry its value to the output.
RANK = {
    T.DIRECT: 0,
    T.ETL: 1,
    T.AGGREGATION: 2,
    T.WINDOW: 3,
    T.GROUP_BY: 3,
    T.SORT: 3,
    T.FILTER: 4,
    T.CONDITIONAL: 4,
}


@dataclass(frozen=True)
class BaseColumn:
    schema: str  # as in the sqlglot schema (lower case)
    table: str
    column: str


@dataclass
class QueryLineage:
    # Per output position: (base column, transformation, expression) for each input.
    outputs: list[list[tuple[BaseColumn, T, str]]] = field(default_factory=list)
    indirect: list[tuple[BaseColumn, T]] = field(default_factory=list)
    # Columns sqlglot could not place in any table (or a `*` it could not expand).
    unplaced: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)


def _selects(query: exp.Expr) -> list[exp.Expr]:
    while isinstance(query, exp.SetOperation):
        query = query.left
    return list(query.selects) if isinstance(query, exp.Query) else []


def prepare(query: exp.Expr, schema: MappingSchema) -> tuple[exp.Expr, list[str]]:
    """The query qualified against the schema (`*` expanded from the catalog's columns), its
    outputs renamed by position; with the names they had."""
    qualified = qualify(
        query,
        schema=schema,
        validate_qualify_columns=False,
        quote_identifiers=False,
        identify=False,
    )
    names = []
    for index, select in enumerate(_selects(qualified)):
        names.append(select.alias_or_name)
        inner = select.this if isinstance(select, exp.Alias) else select
        select.replace(exp.alias_(inner.copy(), OUTPUT.format(index)))
    return qualified, names


def _role(expression: exp.Expr, reference: str) -> T | None:
    """How the column `reference` (table.column) takes part in one step's expression."""
    roles: list[T] = []
    for column in expression.find_all(exp.Column):
        if f"{column.table}.{column.name}".lower() != reference.lower() and (
            column.name.lower() != reference.lower()
        ):
            continue
        roles.append(_occurrence(column, expression))
    if not roles:
        return None
    values = [r for r in roles if r in (T.DIRECT, T.ETL, T.AGGREGATION)]
    pool = values or roles
    return max(pool, key=RANK.__getitem__) if not values else _value(values)


def _value(roles: Sequence[T]) -> T:
    if T.AGGREGATION in roles:
        return T.AGGREGATION
    return T.ETL if T.ETL in roles else T.DIRECT


def _occurrence(column: exp.Column, top: exp.Expr) -> T:
    node: exp.Expr = column
    role = T.DIRECT
    while node is not top and node.parent is not None:
        parent = node.parent
        key = node.arg_key
        if isinstance(parent, exp.Window) and key in ("partition_by", "order"):
            return T.WINDOW
        if isinstance(parent, exp.If) and key == "this":
            return T.CONDITIONAL
        if isinstance(parent, exp.Case) and key == "this" and parent.args.get("ifs"):
            return T.CONDITIONAL  # CASE x WHEN ...: x picks the branch
        if isinstance(parent, exp.Nvl2) and key == "this":
            return T.CONDITIONAL  # NVL2(x, a, b): x only picks a or b
        if isinstance(parent, exp.DecodeCase) and _decides(node, parent):
            return T.CONDITIONAL
        if isinstance(parent, exp.Filter) and key == "expression":
            return T.FILTER  # COUNT(*) FILTER (WHERE x ...): x picks the rows
        if isinstance(parent, exp.Grouping):
            return T.GROUP_BY  # GROUPING(x) says whether x is rolled up, not its value
        if (
            isinstance(parent, exp.Order)
            and key == "expressions"
            and not isinstance(parent.parent, exp.Window)
        ):
            return T.SORT  # LISTAGG(x) WITHIN GROUP (ORDER BY y), string_agg(x ORDER BY y)
        if isinstance(parent, exp.AggFunc):
            role = T.AGGREGATION
        elif role is T.DIRECT and not isinstance(parent, exp.Alias | exp.Paren | exp.Ordered):
            role = T.ETL
        node = parent
    return role


def _decides(node: exp.Expr, decode: exp.DecodeCase) -> bool:
    """DECODE(x, search1, result1, ..., default): x and each search only pick the result."""
    index = next(i for i, e in enumerate(decode.expressions) if e is node)
    return index == 0 or (index % 2 == 1 and index + 1 < len(decode.expressions))


def _leaf_selects(query: exp.Expr) -> Iterator[exp.Expr]:
    while isinstance(query, exp.Subquery | exp.Paren):
        query = query.this
    if isinstance(query, exp.SetOperation):
        yield from _leaf_selects(query.left)
        yield from _leaf_selects(query.right)
    else:
        yield query


def _removed_only(query: exp.Expr) -> set[exp.Expr]:
    """The SELECTs on the right of an EXCEPT: they remove rows, give no values (compared by
    value, as lineage() works on a copy)."""
    return {
        select for except_ in query.find_all(exp.Except) for select in _leaf_selects(except_.right)
    }


def _paths(node: Node, role: T, removed: set[exp.Expr], seen: int = 0) -> Iterator[tuple[Node, T]]:
    if seen > 200:  # a deeply recursive definition: stop rather than loop
        return
    if not node.downstream:
        yield node, role
        return
    for child in node.downstream:
        if removed and child.source in removed:
            continue
        if isinstance(node.source, exp.SetOperation):
            # A UNION's branches pass their columns on by position: each branch's own
            # expression decides, one step further down.
            step = T.DIRECT
        else:
            step = _role(node.expression, child.name) or T.ETL
        weaker = step if RANK[step] > RANK[role] else role
        yield from _paths(child, weaker, removed, seen + 1)


def _base(node: Node) -> BaseColumn | None:
    source = node.source
    if not isinstance(source, exp.Table) or not source.name:
        return None
    column = node.name.rsplit(".", 1)[-1]
    if column == "*":
        return None
    return BaseColumn(source.db.lower(), source.name.lower(), column.lower())


def _shown(top: exp.Expr) -> exp.Expr:
    """An output's expression without the position name given to it (a scalar subquery
    holds its alias itself)."""
    if isinstance(top, exp.Alias):
        return top.this
    if top.args.get("alias") is not None:
        top = top.copy()
        top.set("alias", None)
    return top


def trace(query: exp.Expr, schema: MappingSchema, *, dialect: str | None) -> QueryLineage:
    """`dialect` writes the expressions back as the SQL had them.

    The query is qualified once and its scopes built once: the joins and filters are read
    from those scopes, then `lineage()` walks every output column from the same root (it
    would otherwise qualify and scope a copy of its own). The joins and filters come first:
    `lineage()` fills in the table of a column it can place in a scope's only source."""
    prepared, names = prepare(query, schema)
    result = QueryLineage(output_names=names)
    removed = _removed_only(prepared)
    root_scope = build_scope(prepared)
    result.indirect = _indirect(root_scope, removed)
    if root_scope is None:
        raise SqlglotError("Cannot build lineage, sql must be SELECT")
    nodes = lineage(None, prepared, schema, scope=root_scope, trim_selects=False, copy=False)
    assert isinstance(nodes, dict)
    for index in range(len(names)):
        inputs: dict[BaseColumn, tuple[T, str]] = {}
        root = nodes.get(OUTPUT.format(index))
        expression = ""
        if root is not None:
            top = root.expression
            expression = _shown(top).sql(dialect=dialect)
            for leaf, role in _paths(root, T.DIRECT, removed):
                base = _base(leaf)
                if base is None:
                    if leaf.name.rsplit(".", 1)[-1] == "*" or isinstance(
                        leaf.expression, exp.Placeholder
                    ):
                        result.unplaced.append(leaf.name)
                    continue
                known = inputs.get(base)
                if known is None or RANK[role] < RANK[known[0]]:
                    inputs[base] = (role, expression)
        result.outputs.append([(b, r, e) for b, (r, e) in inputs.items()])
    return result


_CLAUSES = (("where", T.FILTER), ("having", T.FILTER), ("group", T.GROUP_BY))


def _indirect(root: Scope | None, removed: set[exp.Expr]) -> list[tuple[BaseColumn, T]]:
    found: dict[tuple[BaseColumn, T], None] = {}
    if root is None:
        return []
    for scope in root.traverse():
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        clauses: list[tuple[exp.Expr, T]] = [
            (select.args[key], kind) for key, kind in _CLAUSES if select.args.get(key)
        ]
        if removed and select in removed:
            clauses += [(e, T.FILTER) for e in select.selects]
        clauses += [
            (j.args["on"], T.JOIN) for j in select.args.get("joins") or [] if j.args.get("on")
        ]
        if scope is root and select.args.get("order"):
            clauses.append((select.args["order"], T.SORT))
        for clause, kind in clauses:
            for column in clause.find_all(exp.Column):
                for base in _resolve(scope, column.table, column.name, 0):
                    found[(base, kind)] = None
    return list(found)


def _resolve(scope: Scope, table: str, column: str, depth: int) -> list[BaseColumn]:
    """The base columns a column of this scope stands for, through CTEs and subqueries."""
    if depth > 50:
        return []
    source = scope.sources.get(table)
    if isinstance(source, exp.Table):
        return [BaseColumn(source.db.lower(), source.name.lower(), column.lower())]
    if not isinstance(source, Scope):
        return []
    found: list[BaseColumn] = []
    for part in _branches(source):
        expression = part.expression
        if not isinstance(expression, exp.Select):
            continue
        for select in expression.selects:
            if select.alias_or_name.lower() != column.lower():
                continue
            for used in select.find_all(exp.Column):
                found += _resolve(part, used.table, used.name, depth + 1)
    return found


def _branches(scope: Scope) -> list[Scope]:
    """A UNION's SELECT scopes (however nested), or the scope itself."""
    if not scope.set_operation_scopes:
        return [scope]
    return [leaf for part in scope.set_operation_scopes for leaf in _branches(part)]
