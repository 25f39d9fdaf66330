"""Lineage proposed for a SQL text or script, resolved against the catalog. Reads nothing
and writes nothing: the caller hands it the catalog's tables and decides what to do with the
answer.

Confidence, per statement: 0.2 + 0.7 x (names resolved / names referenced), over the distinct
tables and columns the statement reads and writes; so 0.9 when everything resolved (a parser
can still be wrong: a steward approves), and lower the more of it the catalog does not know.
Every edge of a statement gets its statement's confidence."""

from __future__ import annotations

import hashlib
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.schema import MappingSchema

from graph_api.models import TransformationType as T
from graph_api.names import close_names
from graph_api.sql_lineage.catalog import Catalog, schema_key, sqlglot_schema
from graph_api.sql_lineage.columns import RANK, BaseColumn, QueryLineage, trace
from graph_api.sql_lineage.deadline import TimeLimitExceeded, time_limit
from graph_api.sql_lineage.model import (
    CatalogField,
    CatalogTable,
    Dialect,
    NameKind,
    Position,
    ProposedFieldEdge,
    ProposedTableEdge,
    SqlProposal,
    StatementReport,
    Unparsed,
    Unresolved,
)
from graph_api.sql_lineage.script import Piece, split
from graph_api.sql_lineage.statements import NoLineage, shape

TIME_LIMIT_SECONDS = 10.0
_PLAIN = re.compile(r"[a-z_][a-z0-9_$#]*")
_REPLACE_INTO = re.compile(r"REPLACE(?=\s+INTO\b)", re.IGNORECASE)
PSEUDO_TABLES = {"dual"}
BLOCK_REASON = (
    "A procedural block (PL/SQL, a stored routine or a DO block): Clew analyses SQL statements "
    "one at a time; submit the INSERT, MERGE or UPDATE statements inside it on their own."
)
# sqlglot walks a statement recursively: a UNION of thousands of branches, or expressions
# nested thousands deep, runs out of Python's stack.
DEEP_REASON = (
    "It is nested too deeply to analyse (a very long UNION chain or deeply nested "
    "expressions); split it into smaller statements."
)


def fingerprint(text: str) -> str:
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:16]


def confidence(resolved: int, referenced: int) -> float:
    if referenced == 0:
        return 0.9
    return round(0.2 + 0.7 * resolved / referenced, 3)


def _absolute(piece: Piece, line: int, column: int) -> Position:
    if line <= 1:
        column = piece.position.column + column - 1
    offset = piece.position.offset  # the statement's start: close enough to find it
    return Position(line=piece.position.line + line - 1, column=column, offset=offset)


def _parse(text: str, dialect: Dialect) -> exp.Expr:
    """One statement; MySQL's REPLACE INTO read as the INSERT INTO it writes like (sqlglot
    has no parse for it; the same length, so positions in errors stay true)."""
    if _REPLACE_INTO.match(text):
        text = _REPLACE_INTO.sub("INSERT ", text, count=1)
    return sqlglot.parse_one(text, read=dialect.value or None)


def _within(node: exp.Expr | None, root: exp.Expr) -> bool:
    while node is not None and node is not root:
        node = node.parent
    return node is root


def _lower(statement: exp.Expr) -> None:
    """Unquoted and quoted names alike compared without case, as the catalog stores them."""
    for identifier in statement.find_all(exp.Identifier):
        name = str(identifier.this).lower()
        identifier.set("this", name)
        identifier.set("quoted", not _PLAIN.fullmatch(name))


class _Statement:
    """One statement's analysis, collecting what it proposes into the proposal."""

    def __init__(
        self, proposal: SqlProposal, catalog: Catalog, index: int, piece: Piece, indirect: bool
    ):
        self.proposal = proposal
        self.catalog = catalog
        self.index = index
        self.piece = piece
        self.indirect = indirect
        self.resolved: dict[tuple[str, str], CatalogTable] = {}
        # Names the statement uses, and those of them found in the catalog (for confidence).
        self.referenced: set[tuple[str, ...]] = set()
        self.found: set[tuple[str, ...]] = set()

    def unresolved(self, kind: NameKind, name: str, message: str, close: tuple[str, ...]) -> None:
        self.referenced.add((kind.value, name))
        if close:
            message += " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        self.proposal.unresolved.append(
            Unresolved(
                kind=kind, name=name, statement=self.index, message=message, suggestions=close
            )
        )

    def resolve_tables(self, statement: exp.Expr) -> None:
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            name, schema = table.name, table.db
            if not name or (not schema and (name in ctes or name in PSEUDO_TABLES)):
                continue
            written = f"{schema}.{name}" if schema else name
            found = self.catalog.find(schema or None, name)
            if found.table is None:
                if ("TABLE", written) not in self.referenced:
                    message = (
                        f"'{written}' could be any of several tables; qualify it with its schema."
                        if found.ambiguous
                        else f"No table '{written}' in the catalog; document or scan it, or "
                        "correct the name."
                    )
                    self.unresolved(NameKind.TABLE, written, message, found.candidates)
                continue
            hit = found.table
            self.referenced.add(("TABLE", hit.id))
            self.found.add(("TABLE", hit.id))
            self.resolved[(schema_key(hit), hit.name.lower())] = hit
            table.set("db", exp.to_identifier(schema_key(hit)))
            table.set("catalog", None)
            table.set("this", exp.to_identifier(hit.name.lower()))

    def field_of(self, base: BaseColumn) -> tuple[CatalogTable, CatalogField] | None:
        table = self.resolved.get((base.schema, base.table))
        if table is None:
            return None
        found = Catalog.field(table, base.column)
        key = ("COLUMN", table.id, base.column)
        if found is None:
            if key not in self.referenced:
                self.unresolved(
                    NameKind.COLUMN,
                    f"{table.qualified_name}.{base.column}",
                    f"Table '{table.qualified_name}' has no column '{base.column}' in the catalog.",
                    Catalog.close_fields(table, base.column),
                )
            return None
        self.referenced.add(key)
        self.found.add(key)
        return table, found

    def run(self) -> StatementReport:
        piece = self.piece
        statement = _parse(piece.text, self.proposal.dialect)
        if isinstance(statement, exp.Command):
            raise ParseError(
                f"'{statement.name}' is a command the parser does not understand as SQL"
            )
        try:
            parts = shape(statement)
        except NoLineage as why:
            return self.report(statement.key.upper(), None, None, note=f"No lineage: {why}.")
        # MERGE's and UPDATE's query is built apart from the statement: resolved on its own.
        for part in (statement,) if _within(parts.query, statement) else (statement, parts.query):
            _lower(part)
            self.resolve_tables(part)
        target_name = parts.target.sql()
        target = self.resolved.get((parts.target.db, parts.target.name))
        schema = MappingSchema(sqlglot_schema(self.resolved.values()), normalize=False)
        traced = trace(parts.query, schema, dialect=self.proposal.dialect.value or None)
        known = [f.name for t in self.resolved.values() for f in t.fields]
        for name in traced.unplaced:
            self.unresolved(
                NameKind.COLUMN,
                name,
                f"'{name}' is in none of the catalog's tables this statement reads, so it "
                "cannot be traced.",
                tuple(close_names(name.rsplit(".", 1)[-1], known)),
            )
        if target is None:
            return self.report(parts.kind, target_name, self.score())
        columns = parts.columns
        if columns is None:
            columns = (
                [f.name for f in target.fields] if parts.kind == "INSERT" else traced.output_names
            )
        targets: list[CatalogField | None] = []
        for name in columns:
            field = Catalog.field(target, name)
            key = ("COLUMN", target.id, name.lower())
            self.referenced.add(key)
            if field is None:
                self.unresolved(
                    NameKind.COLUMN,
                    f"{target.qualified_name}.{name}",
                    f"Table '{target.qualified_name}' has no column '{name}' in the catalog.",
                    Catalog.close_fields(target, name),
                )
            else:
                self.found.add(key)
            targets.append(field)
        for name in parts.elsewhere:
            self.proposal.unresolved.append(
                Unresolved(
                    kind=NameKind.COLUMN,
                    name=name,
                    statement=self.index,
                    message=f"'{name}' is a column of another table than "
                    f"'{target.qualified_name}', which this UPDATE is read as writing; submit "
                    "an UPDATE of that table on its own to trace it.",
                )
            )
        if len(traced.outputs) != len(columns):
            self.proposal.unresolved.append(
                Unresolved(
                    kind=NameKind.COLUMN,
                    name=target.qualified_name,
                    statement=self.index,
                    message=f"The statement writes {len(traced.outputs)} value(s) into "
                    f"{len(columns)} column(s) of '{target.qualified_name}'; they are matched "
                    "by position, so check the column list.",
                )
            )
        score = self.score()
        self.edges(target, targets, traced, score)
        return self.report(parts.kind, target.qualified_name, score)

    def score(self) -> float:
        return confidence(len(self.found), len(self.referenced))

    def edges(
        self,
        target: CatalogTable,
        targets: list[CatalogField | None],
        traced: QueryLineage,
        score: float,
    ) -> None:
        direct: dict[str, set[str]] = {}
        sources_used: set[str] = set()
        # A copy: every output a bare column of one table, no join, filter or grouping.
        copy = (
            not traced.indirect
            and len({(b.schema, b.table) for o in traced.outputs for b, _, _ in o}) == 1
            and all(role is T.DIRECT for o in traced.outputs for _, role, _ in o)
        )
        # One edge per pair of columns: a MERGE that sets a column in both WHEN clauses
        # writes it twice, and the stronger role of the two is the edge's.
        chosen: dict[tuple[str, str], tuple[CatalogTable, CatalogField, CatalogField, T, str]]
        chosen = {}
        for position, inputs in enumerate(traced.outputs):
            down = targets[position] if position < len(targets) else None
            for base, role, expression in inputs:
                found = self.field_of(base)
                if found is None or down is None:
                    continue
                table, up = found
                if up.id == down.id:
                    continue
                known = chosen.get((up.id, down.id))
                if known is None or RANK[role] < RANK[known[3]]:
                    chosen[(up.id, down.id)] = (table, up, down, role, expression)
        for table, up, down, role, expression in chosen.values():
            kind = T.COPY if role is T.DIRECT and copy else role
            direct.setdefault(down.id, set()).add(up.id)
            sources_used.add(table.id)
            self.field_edge(table, up, target, down, kind, score, expression)
        if self.indirect:
            for base, kind in traced.indirect:
                found = self.field_of(base)
                if found is None:
                    continue
                table, up = found
                for down in targets:
                    if down is None or up.id == down.id or up.id in direct.get(down.id, set()):
                        continue
                    sources_used.add(table.id)
                    self.field_edge(table, up, target, down, kind, score, base.column)
        for table in self.resolved.values():
            if table.id in sources_used or table.id == target.id:
                continue
            self.proposal.table_edges.append(
                ProposedTableEdge(
                    upstream_id=table.id,
                    downstream_id=target.id,
                    upstream_name=table.qualified_name,
                    downstream_name=target.qualified_name,
                    confidence=score,
                    statement=self.index,
                )
            )

    def field_edge(
        self,
        table: CatalogTable,
        up: CatalogField,
        target: CatalogTable,
        down: CatalogField,
        kind: T,
        score: float,
        expression: str,
    ) -> None:
        self.proposal.field_edges.append(
            ProposedFieldEdge(
                upstream_id=up.id,
                downstream_id=down.id,
                upstream_name=f"{table.qualified_name}.{up.name}",
                downstream_name=f"{target.qualified_name}.{down.name}",
                transformation=kind,
                confidence=score,
                expression=expression,
                statement=self.index,
            )
        )

    def report(
        self, kind: str, target: str | None, score: float | None, *, note: str | None = None
    ) -> StatementReport:
        return StatementReport(
            index=self.index,
            position=self.piece.position,
            kind=kind,
            target=target,
            text=self.piece.text,
            fingerprint=fingerprint(self.piece.text),
            confidence=score,
            note=note,
        )


def propose(
    sql: str,
    *,
    dialect: Dialect,
    catalog: Catalog,
    include_indirect: bool = True,
    time_limit_seconds: float = TIME_LIMIT_SECONDS,
) -> SqlProposal:
    """Every statement of `sql`, in order; one that cannot be parsed is reported with the
    reason and where it is, never left out."""
    proposal = SqlProposal(fingerprint=fingerprint(sql), dialect=dialect)
    try:
        pieces = split(sql, dialect)
    except TokenError as error:
        pieces = []
        proposal.unparsed.append(
            Unparsed(
                statement=0,
                position=Position(line=1, column=1, offset=0),
                reason=f"The text cannot be read as SQL: {error}",
                text=sql[:200],
            )
        )
    for index, piece in enumerate(pieces):
        if piece.block:
            _unparsed(proposal, index, piece, BLOCK_REASON, piece.position)
            continue
        analysis = _Statement(proposal, catalog, index, piece, include_indirect)
        try:
            with time_limit(time_limit_seconds):
                proposal.statements.append(analysis.run())
        except ParseError as error:
            first = error.errors[0] if error.errors else {}
            where = _absolute(piece, int(first.get("line") or 1), int(first.get("col") or 1))
            reason = str(first.get("description") or error).split("\n")[0]
            _unparsed(proposal, index, piece, f"The parser stopped: {reason}.", where)
        except TimeLimitExceeded as error:
            _unparsed(proposal, index, piece, f"Analysing it {error}; split it up.", piece.position)
        except RecursionError:
            _unparsed(proposal, index, piece, DEEP_REASON, piece.position)
        except SqlglotError as error:
            reason = str(error).split("\n")[0]
            _unparsed(
                proposal, index, piece, f"It could not be analysed: {reason}.", piece.position
            )
    return proposal


def _unparsed(
    proposal: SqlProposal, index: int, piece: Piece, reason: str, where: Position
) -> None:
    proposal.unparsed.append(
        Unparsed(statement=index, position=where, reason=reason, text=piece.text[:200])
    )
    proposal.statements.append(
        StatementReport(
            index=index,
            position=piece.position,
            kind="UNPARSED",
            target=None,
            text=piece.text,
            fingerprint=fingerprint(piece.text),
            confidence=None,
            note=reason,
        )
    )


def referenced_tables(sql: str, dialect: Dialect) -> tuple[set[str], set[str]]:
    """The table names (lower case, without schema) the script mentions, to fetch from the
    catalog before `propose`, and the names its CTEs define (a mention of one is no table to
    look for); statements that do not parse contribute nothing (propose() reports them)."""
    names: set[str] = set()
    ctes: set[str] = set()
    try:
        pieces = split(sql, dialect)
    except TokenError:
        return names, ctes
    for piece in pieces:
        try:
            with time_limit(TIME_LIMIT_SECONDS):
                statement = _parse(piece.text, dialect)
        except (SqlglotError, TimeLimitExceeded, RecursionError):
            continue  # propose() reports it
        names |= {t.name.lower() for t in statement.find_all(exp.Table) if t.name}
        ctes |= {c.alias_or_name.lower() for c in statement.find_all(exp.CTE)}
    return names, ctes
