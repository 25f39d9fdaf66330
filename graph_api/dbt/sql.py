"""A model's compiled SQL through Clew's SQL lineage parser (`graph_api/sql_lineage`): the
same trace the SQL proposals use, fed with the columns of the relations the model depends
on, with the same per-statement time limit."""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot.errors import SqlglotError
from sqlglot.schema import MappingSchema

from graph_api.dbt.columns import Parsed, Upstream
from graph_api.models import TransformationType
from graph_api.sql_lineage.catalog import NO_SCHEMA
from graph_api.sql_lineage.columns import BaseColumn, trace
from graph_api.sql_lineage.deadline import TimeLimitExceeded, time_limit
from graph_api.sql_lineage.model import Dialect
from graph_api.sql_lineage.propose import DEEP_REASON

TIME_LIMIT_SECONDS = 10.0


def parse_model(
    sql: str, dialect: str, schema: Mapping[str, Mapping[str, Mapping[str, Mapping[str, str]]]]
) -> Parsed:
    """`schema` is {database: {schema: {table: {column: type}}}}; the parser keys tables by
    schema and name (a dbt project writes to one database)."""
    flat: dict[str, dict[str, dict[str, str]]] = {}
    for schemas in schema.values():
        for name, tables in schemas.items():
            into = flat.setdefault((name or NO_SCHEMA).lower(), {})
            for table, columns in tables.items():
                # Names are all lineage needs; a warehouse type sqlglot cannot read would fail it.
                into[table.lower()] = {c.lower(): "TEXT" for c in columns}
    read = Dialect(dialect).value if dialect in {d.value for d in Dialect} else ""
    try:
        with time_limit(TIME_LIMIT_SECONDS):
            query = sqlglot.parse_one(sql, read=read or None)
            names: dict[str, object] = dict(flat)
            found = trace(query, MappingSchema(names, dialect=read or None), dialect=read or None)
    except TimeLimitExceeded as exc:
        return Parsed({}, problem=f"The compiled SQL could not be analysed: it {exc}.")
    except RecursionError:
        return Parsed({}, problem=f"The compiled SQL could not be analysed. {DEEP_REASON}")
    except SqlglotError as exc:
        first = str(exc).splitlines()[0][:300]
        return Parsed({}, problem=f"The compiled SQL did not parse: {first}")
    outputs: dict[str, list[Upstream]] = {}
    for name, inputs in zip(found.output_names, found.outputs, strict=False):
        outputs[name] = [
            _upstream(base, transformation, expression)
            for base, transformation, expression in inputs
        ]
    # As a SQL proposal shows them: the column's own name as the expression.
    indirect = tuple(_upstream(base, kind, base.column) for base, kind in found.indirect)
    return Parsed(outputs, unplaced=tuple(found.unplaced), indirect=indirect)


def _upstream(base: BaseColumn, transformation: TransformationType, expression: str) -> Upstream:
    return Upstream(
        database=None,
        schema=None if base.schema == NO_SCHEMA else base.schema,
        table=base.table,
        column=base.column,
        transformation=transformation,
        expression=expression,
    )
