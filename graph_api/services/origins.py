"""A steward's decisions about an origin as a whole: approve or reject everything it asserts
that waits for review, in one action, and trust it (its future edges arrive APPROVED under
that steward's decision) or stop trusting it. Every decision is in the origin's history, and
each edge's own history records its approval or rejection as usual."""

from __future__ import annotations

from dataclasses import dataclass

from graph_api.errors import NotFoundError, ValidationError
from graph_api.events import Broker
from graph_api.models import LineageEdge, OriginRecord
from graph_api.services.changes import record_changes
from graph_api.services.lineage import (
    MAX_EDGES_PER_CALL,
    LineageChanges,
    LineageService,
    _review_comment,
)
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.origins import OriginRepository


@dataclass
class OriginReview:
    origin: OriginRecord
    edges: list[LineageEdge]
    changes: LineageChanges


def _origin_state(origin: OriginRecord) -> dict[str, object]:
    return {
        "kind": origin.kind.value,
        "key": origin.key,
        "label": origin.label,
        "trusted_by": origin.trusted_by,
        "trust_comment": origin.trust_comment,
    }


class OriginService:
    """Built once per process; every call names who acts (`actor`)."""

    def __init__(
        self, store: Store, *, lineage: LineageService, broker: Broker | None = None
    ) -> None:
        self._store = store
        self._lineage = lineage
        self._broker = broker
        self.repo = OriginRepository(store)
        self.audit = AuditRepository(store)

    async def get(self, origin_id: str) -> OriginRecord:
        found = await self.repo.get_many([origin_id])
        if origin_id not in found:
            raise NotFoundError(
                f"No origin with id '{origin_id}' exists; list them with the origins query.",
                field="origin.id",
            )
        return found[origin_id]

    async def set_trust(
        self, origin_id: str, *, trusted: bool, comment: str | None, actor: str
    ) -> OriginRecord:
        comment = _review_comment(comment, rejecting=False)

        async def work(tx: Tx) -> OriginRecord:
            changed = await self.repo.set_trust(
                tx, origin_id, actor=actor if trusted else None, comment=comment
            )
            if changed is None:
                raise NotFoundError(
                    f"No origin with id '{origin_id}' exists; list them with the origins query.",
                    field="origin.id",
                )
            before, origin = changed
            await record_changes(
                tx,
                [
                    ChangeDraft(
                        origin.id,
                        "ORIGIN",
                        "TRUST" if trusted else "UNTRUST",
                        before={k: before.get(k) for k in ("trusted_by", "trust_comment")},
                        after=_origin_state(origin),
                        comment=comment,
                    )
                ],
                audit=self.audit,
                actor=actor,
                broker=self._broker,
            )
            return origin

        return await self._store.transaction(work)

    async def review(
        self, origin_id: str, *, approve: bool, comment: str | None, actor: str
    ) -> OriginReview:
        """Approves (or rejects) every pending edge the origin asserts, a batch of at most
        MAX_EDGES_PER_CALL edges per transaction, each edge recorded as its own review."""
        comment = _review_comment(comment, rejecting=not approve)
        if not approve and not (comment and comment.strip()):
            raise ValidationError(
                "Say why the origin's lineage is rejected, so its authors can correct it.",
                field="review.comment",
            )
        origin = await self.get(origin_id)
        ids = await self.repo.pending_edge_ids(origin_id)
        edges: list[LineageEdge] = []
        changes = LineageChanges()
        for start in range(0, len(ids), MAX_EDGES_PER_CALL):
            done, more = await self._lineage.review(
                ids[start : start + MAX_EDGES_PER_CALL],
                approve=approve,
                comment=comment,
                actor=actor,
            )
            edges += done
            changes.implied_created += more.implied_created
            changes.implied_removed += more.implied_removed
        verb = "Approved" if approve else "Rejected"

        async def work(tx: Tx) -> None:
            await record_changes(
                tx,
                [
                    ChangeDraft(
                        origin.id,
                        "ORIGIN",
                        "APPROVE" if approve else "REJECT",
                        comment=f"{verb} {len(edges)} pending edge(s) it asserts"
                        + (f": {comment}" if comment else "."),
                    )
                ],
                audit=self.audit,
                actor=actor,
                broker=self._broker,
            )

        await self._store.transaction(work)
        return OriginReview(origin, edges, changes)
