"""Lineage edges in Neo4j: (:Table)-[:FLOWS_TO]->(:Table) and (:Field)-[:FLOWS_TO]->(:Field),
always from upstream to downstream."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graph_api.errors import ValidationError
from graph_api.models import (
    LineageEdge,
    LineageLevel,
    LineageSource,
    ReviewState,
    TransformationType,
)
from graph_api.store import review_counts
from graph_api.store.client import Store, Tx
from graph_api.store.pagination import decode_cursor, encode_cursor

Pair = tuple[str, str]


@dataclass(frozen=True, kw_only=True)
class ReviewCounts:
    total: int
    table_edges: int
    field_edges: int


@dataclass(frozen=True, kw_only=True)
class ReviewPage:
    """One page of the review queue, lowest confidence first; `counts` when they came with
    the page (a queue narrowed to a table or source), else None: ask `review_counts`."""

    edges: list[LineageEdge]
    has_next: bool
    end_cursor: str | None
    counts: ReviewCounts | None


@dataclass(frozen=True)
class Endpoint:
    id: str
    kind: str | None  # "TABLE", "FIELD" or None when nothing has this id
    name: str | None
    table_id: str | None


@dataclass(frozen=True)
class TraversalFilter:
    min_confidence: float = 0.0
    provenance: tuple[LineageSource, ...] | None = None
    include_rejected: bool = False

    def params(self) -> dict[str, Any]:
        return {
            "min_confidence": self.min_confidence,
            "provenance": [p.value for p in self.provenance] if self.provenance else None,
            "include_rejected": self.include_rejected,
        }


@dataclass(frozen=True)
class GraphEdge:
    """What a render-ready graph shows of an edge (no timestamps, no review details)."""

    id: str
    level: LineageLevel
    upstream_id: str
    downstream_id: str
    lineage_source: LineageSource
    confidence: float
    transformation_type: TransformationType | None
    review_state: ReviewState
    explicit: bool

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> GraphEdge:
        transformation = row.get("transformation_type")
        return cls(
            id=row["id"],
            level=LineageLevel[row["level"]],
            upstream_id=row["upstream_id"],
            downstream_id=row["downstream_id"],
            lineage_source=LineageSource(row["lineage_source"]),
            confidence=float(row["confidence"]),
            transformation_type=TransformationType(transformation) if transformation else None,
            review_state=ReviewState(row["review_state"]),
            explicit=bool(row.get("explicit", True)),
        )


@dataclass(frozen=True)
class Walk:
    """What one traversal reached: node id -> signed distance from the start (negative
    upstream), the edges among those nodes, whether the node cap cut it short, and the
    nodes with neighbours that were not loaded."""

    depths: dict[str, int]
    edges: list[LineageEdge] | list[GraphEdge] | list[LineageEdge | GraphEdge]
    truncated: bool
    frontier: list[str]


def _pairs(pairs: Iterable[Pair]) -> list[dict[str, str]]:
    return [{"upstream_id": up, "downstream_id": down} for up, down in pairs]


class LineageRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def endpoints(self, tx: Tx | None, ids: list[str]) -> dict[str, Endpoint]:
        rows = (
            await tx.run("lineage/endpoints", ids=ids)
            if tx
            else await self._store.read("lineage/endpoints", ids=ids)
        )
        return {r["id"]: Endpoint(r["id"], r["kind"], r["name"], r["table_id"]) for r in rows}

    async def tables_of(
        self,
        tx: Tx,
        field_edges: list[LineageEdge],
        ends: dict[str, Endpoint] | None = None,
    ) -> list[tuple[str | None, str | None]]:
        """The (upstream, downstream) tables of each field edge: where its implied table edge
        runs. `ends`, when the caller has read them already."""
        if ends is None:
            ids = sorted({i for e in field_edges for i in (e.upstream_id, e.downstream_id)})
            ends = await self.endpoints(tx, ids)
        return [(ends[e.upstream_id].table_id, ends[e.downstream_id].table_id) for e in field_edges]

    async def lock(self, tx: Tx, level: LineageLevel, ids: list[str]) -> None:
        if ids:
            await tx.run("lineage/lock_nodes", slots={"node": level}, ids=sorted(set(ids)))

    async def between(
        self, tx: Tx, level: LineageLevel, pairs: list[Pair]
    ) -> dict[Pair, LineageEdge]:
        rows = await tx.run("lineage/between", slots={"node": level}, pairs=_pairs(pairs))
        edges = [LineageEdge.from_record(r["edge"]) for r in rows]
        return {(e.upstream_id, e.downstream_id): e for e in edges}

    async def create(
        self, tx: Tx, level: LineageLevel, edges: list[dict[str, Any]]
    ) -> list[LineageEdge]:
        rows = await tx.run("lineage/create", slots={"node": level}, edges=edges)
        review_counts.note(tx, after=[r["edge"] for r in rows])
        return [LineageEdge.from_record(r["edge"]) for r in rows]

    async def update(self, tx: Tx, edges: list[dict[str, Any]]) -> list[LineageEdge]:
        rows = await tx.run("lineage/update", edges=edges)
        review_counts.note(tx, before=[r["before"] for r in rows], after=[r["edge"] for r in rows])
        return [LineageEdge.from_record(r["edge"]) for r in rows]

    async def get_many(self, ids: list[str], tx: Tx | None = None) -> dict[str, LineageEdge]:
        rows = (
            await tx.run("lineage/get_by_ids", ids=ids)
            if tx
            else await self._store.read("lineage/get_by_ids", ids=ids)
        )
        return {r["edge"]["id"]: LineageEdge.from_record(r["edge"]) for r in rows}

    async def delete(self, tx: Tx, ids: list[str]) -> list[LineageEdge]:
        rows = await tx.run("lineage/delete", ids=ids)
        review_counts.note(tx, before=[r["edge"] for r in rows])
        return [LineageEdge.from_record(r["edge"]) for r in rows]

    async def field_edges_under(self, tx: Tx, table_edge_ids: list[str]) -> dict[str, list[str]]:
        rows = await tx.run("lineage/field_edges_under", ids=table_edge_ids)
        return {r["table_edge_id"]: r["field_edge_ids"] for r in rows}

    async def implied_beneath(self, tx: Tx, pairs: list[Pair]) -> list[dict[str, Any]]:
        """Per pair of tables: the table edge between them (or None) and the field edges
        beneath, grouped as the lineage rules summarise them."""
        if not pairs:
            return []
        return await tx.run("lineage/implied_beneath", pairs=_pairs(pairs))

    async def write_implied(self, tx: Tx, rows: list[dict[str, Any]], *, actor: str) -> None:
        """Apply CREATE, UPDATE and DELETE decisions to implied table edges."""
        if rows:
            written = await tx.run("lineage/write_implied", rows=rows, actor=actor)
            review_counts.note(
                tx, before=[r["before"] for r in written], after=[r["after"] for r in written]
            )

    async def review(
        self,
        tx: Tx,
        ids: list[str],
        *,
        state: str,
        provenance: dict[str, str],
        actor: str,
        comment: str | None,
    ) -> list[tuple[LineageEdge, LineageEdge]]:
        """`provenance` maps each provenance to the one the decision gives."""
        rows = await tx.run(
            "lineage/review",
            ids=ids,
            state=state,
            provenance=provenance,
            actor=actor,
            comment=comment,
        )
        review_counts.note(tx, before=[r["before"] for r in rows], after=[r["edge"] for r in rows])
        return [
            (LineageEdge.from_record(r["before"]), LineageEdge.from_record(r["edge"])) for r in rows
        ]

    async def traverse(
        self,
        level: LineageLevel,
        starts: list[list[str]],
        *,
        downstream: bool,
        upstream: bool,
        depth: int,
        traversal: TraversalFilter,
        max_nodes: int,
        full_edges: bool,
    ) -> list[Walk]:
        """One breadth-first walk per start set, all in one statement (see
        cypher/lineage/traverse.cypher); the walks come back in the order of `starts`."""
        rows = await self._store.read(
            "lineage/traverse",
            slots={"node": level, "depth": depth},
            starts=[{"key": i, "ids": ids} for i, ids in enumerate(starts)],
            downstream=downstream,
            upstream=upstream,
            max_nodes=max_nodes,
            full_edges=full_edges,
            **traversal.params(),
        )
        edge: Callable[[dict[str, Any]], LineageEdge | GraphEdge] = (
            LineageEdge.from_record if full_edges else GraphEdge.from_record
        )
        walks = [Walk({}, [], False, []) for _ in starts]
        for row in rows:
            walks[row["key"]] = Walk(
                {n["id"]: n["depth"] for n in row["nodes"]},
                [edge(e) for e in row["edges"]],
                row["truncated"],
                row["frontier"],
            )
        return walks

    async def graph(
        self,
        root_id: str,
        *,
        downstream: bool,
        upstream: bool,
        depth: int,
        traversal: TraversalFilter,
        max_nodes: int,
        include_fields: bool,
    ) -> dict[str, Any] | None:
        """The whole render-ready graph around a table or field in one statement (see
        cypher/lineage/graph.cypher); None when nothing has the id."""
        rows = await self._store.read(
            "lineage/graph",
            slots={"depth": depth},
            plain=True,
            root_id=root_id,
            downstream=downstream,
            upstream=upstream,
            max_nodes=max_nodes,
            include_fields=include_fields,
            **traversal.params(),
        )
        return rows[0] if rows else None

    async def field_ids_of_table(self, table_id: str) -> list[str]:
        rows = await self._store.read("fields/by_tables", table_ids=[table_id])
        return [f["id"] for row in rows for f in row["fields"]]

    async def nodes(self, ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        rows = await self._store.read("lineage/nodes", ids=ids)
        return {r["node"]["id"]: (r["kind"], r["node"]) for r in rows}

    async def review_page(
        self,
        *,
        level: LineageLevel | None,
        source_id: str | None,
        table_id: str | None,
        min_confidence: float,
        max_confidence: float,
        after: str | None,
        first: int,
        origin_id: str | None = None,
    ) -> ReviewPage:
        """A page of pending edges, lowest confidence first, then by id; `after` is the
        endCursor of the page before (keyset paging: no page reads the ones before it).

        The whole queue pages through the lineage_review_queue index and counts from it; a
        queue narrowed to a table, a source or an origin is read through that table's or
        source's nodes, or the origin's assertions, instead (review_queue_near), which never
        touches the rest of the queue."""
        cursor = None
        if after is not None:
            confidence, edge_id = decode_cursor(after)
            try:
                cursor = (float(confidence or ""), edge_id or "")
            except ValueError:
                raise ValidationError(
                    "The cursor in 'after' is not valid.", field="page.after"
                ) from None
        filters: dict[str, Any] = {
            "level": level.name if level else None,
            "min_confidence": min_confidence,
            "max_confidence": max_confidence,
        }
        counts: ReviewCounts | None
        if source_id is not None or table_id is not None or origin_id is not None:
            row = (
                await self._store.read(
                    "lineage/review_queue_near",
                    **filters,
                    source_id=source_id,
                    table_id=table_id,
                    origin_id=origin_id,
                    after_confidence=cursor[0] if cursor else None,
                    after_id=cursor[1] if cursor else None,
                    limit=first + 1,
                )
            )[0]
            rows = row["page"]
            counts = ReviewCounts(
                total=row["total"], table_edges=row["table_edges"], field_edges=row["field_edges"]
            )
        else:
            # The rest of the cursor's confidence, then every confidence above it; a cursor
            # below minConfidence starts at minConfidence.
            start = cursor if cursor and cursor[0] >= min_confidence else (min_confidence, "")
            page_rows = await self._store.read(
                "lineage/review_queue",
                **filters,
                confidence=start[0],
                id=start[1],
                limit=first + 1,
            )
            rows, counts = [r["edge"] for r in page_rows], None
        edges = [LineageEdge.from_record(e) for e in rows]
        page = edges[:first]
        return ReviewPage(
            edges=page,
            has_next=len(edges) > first,
            end_cursor=encode_cursor(repr(page[-1].confidence), page[-1].id) if page else None,
            counts=counts,
        )

    async def review_counts(
        self, *, level: LineageLevel | None, min_confidence: float, max_confidence: float
    ) -> ReviewCounts:
        """The whole queue's counts: a sum over the counters of the confidences in range
        (graph_api/store/review_counts.py), so it grows with the distinct confidences, not
        with the queue."""
        rows = await self._store.read(
            "lineage/review_counts",
            level=level.name if level else None,
            min_confidence=min_confidence,
            max_confidence=max_confidence,
        )
        per_level = {r["level"]: r["edges"] for r in rows}
        return ReviewCounts(
            total=sum(per_level.values()),
            table_edges=per_level.get("TABLE", 0),
            field_edges=per_level.get("FIELD", 0),
        )
