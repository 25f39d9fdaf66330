"""What one parsed statement writes: its target table, the query whose outputs land in the
target's columns (by position), and the target columns as written (None: all the target's
columns in the catalog's order for an INSERT, the query's own output names for CREATE ... AS).

MERGE and UPDATE ... FROM have no query of their own: each becomes a SELECT of the values it
assigns, from the tables it reads (MERGE's USING source joined to the target on its ON
condition, UPDATE's target with its FROM and WHERE), so one lineage path serves them all.

The query is then written in the terms sqlglot's lineage() traces: a WITH put before the
INSERT (PostgreSQL's `WITH x AS (...) INSERT ... SELECT ... FROM x`) moves onto the query, and
a LATERAL subquery becomes a plain derived table (lineage() would take every column inside
it for each of its outputs; its reference to the outer row stays in its WHERE, a filter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import SqlglotError


@dataclass
class Shape:
    kind: str  # INSERT, CREATE_TABLE_AS, CREATE_VIEW, MERGE, UPDATE
    target: exp.Table
    query: exp.Expr
    columns: list[str] | None
    # Assignments to another table than the target (MySQL's UPDATE a JOIN b SET b.x = ...),
    # as written: not analysed, and said so.
    elsewhere: list[str] = field(default_factory=list)


class NoLineage(Exception):
    """The statement writes no data from other tables (a SELECT, DDL without AS, DELETE)."""


class Unsupported(SqlglotError):
    """The statement writes data in a way not analysed yet: reported as not analysed (an
    SqlglotError, as propose() reports those), never as carrying no lineage."""


def _target(this: exp.Expr | None) -> tuple[exp.Table, list[str] | None]:
    if isinstance(this, exp.Schema) and isinstance(this.this, exp.Table):
        names = [e.name for e in this.expressions if isinstance(e, exp.Identifier | exp.Column)]
        if not names:  # CREATE TABLE t (a INT, ...) AS: column definitions
            names = [e.name for e in this.expressions if isinstance(e, exp.ColumnDef)]
        return this.this, names or None
    if isinstance(this, exp.Table):
        return this, None
    raise NoLineage("it names no table it writes to")


def _from(statement: exp.Expr) -> exp.From | None:
    found = statement.args.get("from_") or statement.args.get("from")
    return found if isinstance(found, exp.From) else None


def shape(statement: exp.Expr) -> Shape:
    found = _shape(statement)
    for lateral in list(found.query.find_all(exp.Lateral)):
        if isinstance(lateral.this, exp.Subquery):
            lateral.replace(exp.Subquery(this=lateral.this.this, alias=lateral.args.get("alias")))
    return found


def _shape(statement: exp.Expr) -> Shape:
    if isinstance(statement, exp.Insert):
        target, columns = _target(statement.this)
        query = statement.expression
        if not isinstance(query, exp.Query):
            raise NoLineage("INSERT ... VALUES copies no column from another table")
        with_ = statement.args.get("with_")
        if isinstance(with_, exp.With) and isinstance(query, exp.Select | exp.SetOperation):
            if query.args.get("with_") is None:
                query.set("with_", with_)
        return Shape("INSERT", target, query, columns)
    if isinstance(statement, exp.Create):
        query = statement.expression
        kind = (statement.args.get("kind") or "").upper()
        if not isinstance(query, exp.Query):
            raise NoLineage(f"CREATE {kind} without AS SELECT copies no data")
        target, columns = _target(statement.this)
        return Shape("CREATE_VIEW" if "VIEW" in kind else "CREATE_TABLE_AS", target, query, columns)
    if isinstance(statement, exp.MultitableInserts):
        raise Unsupported(
            "INSERT ALL / INSERT FIRST writes several tables, which Clew does not analyse yet; "
            "submit one INSERT ... SELECT per target table"
        )
    if isinstance(statement, exp.Merge):
        return _merge(statement)
    if isinstance(statement, exp.Update):
        return _update(statement)
    if isinstance(statement, exp.Select) and isinstance(statement.args.get("into"), exp.Into):
        # SELECT ... INTO new_table (PostgreSQL): a CREATE TABLE AS; lineage() reads past
        # the INTO, and the target stays in the statement so that it is resolved with it.
        target, columns = _target(statement.args["into"].this)
        return Shape("CREATE_TABLE_AS", target, statement, columns)
    if isinstance(statement, exp.Query):
        raise NoLineage("a query on its own writes nothing")
    raise NoLineage(f"{statement.key.upper()} statements carry no lineage")


def _assignments(eq: exp.Expr) -> list[tuple[str, exp.Expr]]:
    """`SET a = x`, and `SET (a, b) = (SELECT x, y ...)` (Oracle) as a = (SELECT x ...),
    b = (SELECT y ...), or `SET (a, b) = (x, y)`."""
    if not isinstance(eq, exp.EQ):
        return []
    if isinstance(eq.this, exp.Column):
        return [(eq.this.name, eq.expression)]
    if not isinstance(eq.this, exp.Tuple):
        return []
    columns = [c.name for c in eq.this.expressions if isinstance(c, exp.Column)]
    value = eq.expression
    if isinstance(value, exp.Tuple):
        return list(zip(columns, value.expressions, strict=False))
    query = value.this if isinstance(value, exp.Subquery) else None
    if not isinstance(query, exp.Select):
        return []
    pairs: list[tuple[str, exp.Expr]] = []
    for name, select in zip(columns, query.selects, strict=False):
        one = query.copy()
        one.set("expressions", [select.copy()])
        pairs.append((name, exp.Subquery(this=one)))
    return pairs


def _merge(statement: exp.Merge) -> Shape:
    target = statement.this
    if not isinstance(target, exp.Table):
        raise NoLineage("MERGE into something that is not a table")
    using = statement.args.get("using")
    if not isinstance(using, exp.Expr):
        raise NoLineage("MERGE without USING")
    pairs: list[tuple[str, exp.Expr]] = []
    whens = statement.args.get("whens")
    for when in whens.expressions if isinstance(whens, exp.Whens) else []:
        then = when.args.get("then")
        if isinstance(then, exp.Update):
            pairs += [p for e in then.expressions for p in _assignments(e)]
        elif isinstance(then, exp.Insert):
            columns = then.this.expressions if isinstance(then.this, exp.Tuple) else []
            values = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
            pairs += [(c.name, v) for c, v in zip(columns, values, strict=False)]
    if not pairs:
        raise NoLineage("MERGE that only deletes carries no lineage")
    select = exp.select(*[exp.alias_(value.copy(), f"c{i}") for i, (_, value) in enumerate(pairs)])
    on = statement.args.get("on")
    select = select.from_(using.copy()).join(
        target.copy(), on=on.copy() if isinstance(on, exp.Expr) else None, join_type="left"
    )
    return Shape("MERGE", target, select, [name for name, _ in pairs])


def _update(statement: exp.Update) -> Shape:
    target = statement.this
    if not isinstance(target, exp.Table):
        raise NoLineage("UPDATE of something that is not a table")
    own = {target.name.lower(), target.alias_or_name.lower()}
    elsewhere = [
        e.this.sql()
        for e in statement.expressions
        if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)
        and e.this.table and e.this.table.lower() not in own
    ]  # fmt: skip
    pairs = [
        p for e in statement.expressions if e.this.sql() not in elsewhere for p in _assignments(e)
    ]
    if not pairs:
        raise NoLineage("UPDATE assigns no column")
    select = exp.select(*[exp.alias_(value.copy(), f"c{i}") for i, (_, value) in enumerate(pairs)])
    select = select.from_(target.copy())
    found = _from(statement)
    if found is not None:
        select = select.join(found.this.copy(), join_type="cross")
        for extra in found.expressions:
            select = select.join(extra.copy(), join_type="cross")
    for join in statement.args.get("joins") or []:
        select = select.join(join.copy())
    where = statement.args.get("where")
    if isinstance(where, exp.Where):
        select = select.where(where.this.copy())
    return Shape("UPDATE", target, select, [name for name, _ in pairs], elsewhere)
