"""Origins and their assertions of lineage edges: (:Origin) nodes, and one (:Assertion) node per
origin and edge, found by origin or by edge through their indexes (migration 008)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from graph_api.models import (
    AssertionRecord,
    LineageEdge,
    LineageLevel,
    Origin,
    OriginKind,
    OriginRecord,
    TransformationType,
)
from graph_api.store.client import Store, Tx


class OriginRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def upsert(
        self, tx: Tx, *, kind: OriginKind, key: str, label: str, new_id: str
    ) -> OriginRecord:
        [row] = await tx.run("origins/upsert", kind=kind.value, key=key, label=label, id=new_id)
        return OriginRecord.from_record(row["origin"])

    async def mark_ingested(self, tx: Tx, origin_id: str, *, actor: str) -> OriginRecord:
        [row] = await tx.run("origins/mark_ingested", id=origin_id, actor=actor)
        return OriginRecord.from_record(row["origin"])

    async def get_many(self, ids: list[str], tx: Tx | None = None) -> dict[str, OriginRecord]:
        rows = (
            await tx.run("origins/get_by_ids", ids=ids)
            if tx
            else await self._store.read("origins/get_by_ids", ids=ids)
        )
        return {r["origin"]["id"]: OriginRecord.from_record(r["origin"]) for r in rows}

    async def by_key(self, kind: OriginKind, key: str) -> OriginRecord | None:
        rows = await self._store.read("origins/by_key", kind=kind.value, key=key)
        return OriginRecord.from_record(rows[0]["origin"]) if rows else None

    async def recent(self, *, kind: OriginKind | None, limit: int) -> list[OriginRecord]:
        rows = await self._store.read(
            "origins/list", kind=kind.value if kind else None, limit=limit
        )
        return [OriginRecord.from_record(r["origin"]) for r in rows]

    async def counts(self, ids: list[str]) -> dict[str, tuple[int, int]]:
        """Per origin: the edges it asserts, and how many of them are pending."""
        rows = await self._store.read("origins/counts", ids=ids)
        return {r["id"]: (r["asserted"], r["pending"]) for r in rows}

    async def set_trust(
        self, tx: Tx, origin_id: str, *, actor: str | None, comment: str | None
    ) -> tuple[dict[str, Any], OriginRecord] | None:
        rows = await tx.run("origins/set_trust", id=origin_id, actor=actor, comment=comment)
        if not rows:
            return None
        return rows[0]["before"], OriginRecord.from_record(rows[0]["origin"])

    async def assertions_of(
        self, tx: Tx, origin_id: str
    ) -> list[tuple[AssertionRecord, LineageEdge | None]]:
        rows = await tx.run("origins/assertions_of", origin_id=origin_id)
        return [
            (
                AssertionRecord.from_record(r["assertion"]),
                LineageEdge.from_record(r["edge"]) if r["edge"] else None,
            )
            for r in rows
        ]

    async def pending_edge_ids(self, origin_id: str) -> list[str]:
        rows = await self._store.read("origins/pending_edges", origin_id=origin_id)
        return [r["id"] for r in rows]

    async def write_assertions(self, tx: Tx, origin_id: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            await tx.run("origins/write_assertions", origin_id=origin_id, rows=rows)

    async def delete_assertions(
        self, tx: Tx, origin_id: str, edge_ids: list[str]
    ) -> dict[str, bool]:
        """Removes the origin's assertions of these edges; per edge, whether any origin
        still asserts it."""
        if not edge_ids:
            return {}
        rows = await tx.run("origins/delete_assertions", origin_id=origin_id, edge_ids=edge_ids)
        return {r["edge_id"]: r["still_asserted"] for r in rows}

    async def record(self, tx: Tx, origin: Origin, rows: list[dict[str, Any]]) -> OriginRecord:
        """A writer that is not an ingestion (the API for a person, a file import) records
        that its origin asserts these edges, withdrawing none it asserted before."""
        record = await self.upsert(
            tx, kind=origin.kind, key=origin.key, label=origin.label, new_id=str(uuid.uuid4())
        )
        await self.write_assertions(tx, record.id, rows)
        return record

    async def by_edges(
        self, edge_ids: list[str]
    ) -> dict[str, list[tuple[AssertionRecord, OriginRecord]]]:
        rows = await self._store.read("origins/by_edges", edge_ids=edge_ids)
        found: dict[str, list[tuple[AssertionRecord, OriginRecord]]] = {}
        for r in rows:
            assertion = AssertionRecord.from_record(r["assertion"])
            found.setdefault(assertion.edge_id, []).append(
                (assertion, OriginRecord.from_record(r["origin"]))
            )
        return found


def assertion_row(
    *,
    edge_id: str,
    level: LineageLevel,
    transformation: TransformationType | None,
    confidence: float | None,
    logic: str | None,
    evidence: dict[str, str],
) -> dict[str, Any]:
    """One row of origins/write_assertions (the evidence travels as sorted JSON: relationship
    and node properties cannot hold maps)."""
    return {
        "edge_id": edge_id,
        "level": level.name,
        "transformation_type": transformation.value if transformation else None,
        "confidence": confidence,
        "logic": logic,
        "evidence": json.dumps(evidence, sort_keys=True) if evidence else None,
    }


def person_origin(username: str) -> Origin:
    """The origin of what a person declares through the API."""
    return Origin(kind=OriginKind.PERSON, key=username, label=username)


def assertion_of(edge: LineageEdge, evidence: dict[str, str] | None = None) -> dict[str, Any]:
    """The assertion row for an edge a writer wrote as it is."""
    return assertion_row(
        edge_id=edge.id,
        level=edge.level,
        transformation=edge.transformation_type,
        confidence=edge.confidence,
        logic=edge.transformation_logic,
        evidence=evidence or {},
    )
