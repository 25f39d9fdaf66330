"""SQL lineage against the catalog: propose (reads only), and apply a proposal as INFERRED
lineage whose origin is the SQL text (or a view's definition), through the one ingest call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from graph_api import sql_lineage as parser
from graph_api.errors import ValidationError
from graph_api.models import Assertion, LineageLevel, Origin, OriginKind
from graph_api.services.lineage_ingest import IngestReport, LineageIngestService
from graph_api.sql_lineage import Catalog, Dialect, SqlProposal
from graph_api.store.client import Store
from graph_api.store.sql_catalog import SqlCatalogRepository

MAX_SQL = 1_000_000
# What an assertion keeps of its statement: the text up to this length (and its fingerprint).
MAX_EVIDENCE_SQL = 20_000


@dataclass(frozen=True)
class AppliedSql:
    proposal: SqlProposal
    report: IngestReport


def assertions(proposal: SqlProposal) -> list[Assertion]:
    """The proposal's edges as an origin's assertions, each with its statement as evidence.
    An edge two statements propose is asserted once, as the first proposes it."""
    statements = {s.index: s for s in proposal.statements}
    seen: set[tuple[LineageLevel, str, str]] = set()
    found: list[Assertion] = []

    def evidence(index: int, expression: str | None) -> dict[str, str]:
        statement = statements[index]
        given = {
            "sql": statement.text[:MAX_EVIDENCE_SQL],
            "statementFingerprint": statement.fingerprint,
            "statement": str(index + 1),
            "line": str(statement.position.line),
            "dialect": proposal.dialect.name,
        }
        if expression is not None:
            given["expression"] = expression
        return given

    for edge in proposal.field_edges:
        key = (LineageLevel.FIELD, edge.upstream_id, edge.downstream_id)
        if key in seen:
            continue
        seen.add(key)
        found.append(
            Assertion(
                level=LineageLevel.FIELD,
                source_id=edge.upstream_id,
                target_id=edge.downstream_id,
                transformation=edge.transformation,
                confidence=edge.confidence,
                logic=edge.expression,
                evidence=evidence(edge.statement, edge.expression),
            )
        )
    for table in proposal.table_edges:
        key = (LineageLevel.TABLE, table.upstream_id, table.downstream_id)
        if key in seen:
            continue
        seen.add(key)
        found.append(
            Assertion(
                level=LineageLevel.TABLE,
                source_id=table.upstream_id,
                target_id=table.downstream_id,
                confidence=table.confidence,
                evidence=evidence(table.statement, None),
            )
        )
    return found


def _check(sql: str) -> None:
    if not sql.strip():
        raise ValidationError("Give the SQL text to read lineage from.", field="sql")
    if len(sql) > MAX_SQL:
        raise ValidationError(
            f"The SQL is {len(sql):,} characters long; send at most {MAX_SQL:,} at a time.",
            field="sql",
        )


class SqlLineageService:
    """Built once per process; applying names who acts (`actor`)."""

    def __init__(self, store: Store, *, ingest: LineageIngestService) -> None:
        self._ingest = ingest
        self.catalog = SqlCatalogRepository(store)

    async def propose(
        self,
        sql: str,
        *,
        dialect: Dialect,
        source_id: str | None = None,
        default_schema: str | None = None,
        include_indirect: bool = True,
    ) -> SqlProposal:
        _check(sql)
        # sqlglot is pure Python: off the event loop, each statement under its time limit.
        names, ctes = await asyncio.to_thread(parser.referenced_tables, sql, dialect)
        tables = await self.catalog.tables_named(sorted(names), source_key=source_id)
        catalog = Catalog(tables, default_schema=default_schema)
        if names - ctes - {t.name.lower() for t in tables}:
            # A name no table has: the rest of the catalog's names, for "Did you mean ...?"
            # (read only then: it is the one read that grows with the catalog).
            have = {t.id for t in tables}
            others = [t for t in await self.catalog.names(source_key=source_id) if t.id not in have]
            catalog = Catalog([*tables, *others], default_schema=default_schema)
        return await asyncio.to_thread(
            parser.propose,
            sql,
            dialect=dialect,
            catalog=catalog,
            include_indirect=include_indirect,
        )

    async def apply(
        self,
        sql: str,
        *,
        dialect: Dialect,
        actor: str,
        origin: Origin | None = None,
        label: str | None = None,
        source_id: str | None = None,
        default_schema: str | None = None,
        include_indirect: bool = True,
    ) -> AppliedSql:
        """The proposal applied as INFERRED lineage, pending review. Its origin is the SQL
        text (keyed by its fingerprint: submitting the same text again replaces what it
        asserted), unless the caller names another (a view's definition)."""
        proposal = await self.propose(
            sql,
            dialect=dialect,
            source_id=source_id,
            default_schema=default_schema,
            include_indirect=include_indirect,
        )
        if origin is None:
            first = next((s.target for s in proposal.statements if s.target), None)
            origin = Origin(
                kind=OriginKind.SQL,
                key=proposal.fingerprint,
                label=(label or "").strip()
                or f"SQL {proposal.fingerprint[:8]}" + (f" into {first}" if first else ""),
            )
        report = await self._ingest.ingest(origin, assertions(proposal), actor=actor)
        return AppliedSql(proposal, report)

    async def apply_view(
        self,
        *,
        source_id: str,
        view: str,
        definition: str,
        dialect: Dialect,
        actor: str,
    ) -> AppliedSql:
        """A view's definition parsed with the view as its origin (a scan calls this for each
        view it captures): re-scanning replaces what the view asserted before."""
        return await self.apply(
            f"CREATE VIEW {view} AS {definition}",
            dialect=dialect,
            actor=actor,
            origin=Origin(kind=OriginKind.VIEW, key=f"{source_id}/{view}", label=f"view {view}"),
            source_id=source_id,
        )
