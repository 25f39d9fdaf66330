"""The review queue's counters: one (:ReviewCount {level, confidence, pending}) node per level
and confidence that a pending edge has (or had), so the whole queue's counts for any range of
confidence are a sum over a few counter nodes, however many edges wait.

Every writer of a FLOWS_TO edge's review_state, level or confidence returns each edge it
changed as it was and as it is now (at least id, level, confidence and review_state; None for
an edge that did not exist, or no longer does), read after it took the edge's write lock, and
hands both to `note`. This module alone decides what that changes: `_counted` is the rule, and
the deltas of a whole transaction go to Neo4j in one statement just before it commits
(`lineage/count_review`), so a transaction holds the counters' locks only for that moment,
and takes them in one order (level, then confidence) that no other statement takes them in.
`clew recount-review` (`recount`) rebuilds them from the edges, should they ever drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from graph_api.store.client import Store, Tx

Key = tuple[str, float]
EdgeState = Mapping[str, Any] | None


def _counted(edge: EdgeState) -> Key | None:
    """The counter an edge counts in: a pending edge with a level and a confidence (what the
    lineage_review_queue index holds, and so what the review queue pages through)."""
    if edge is None or edge.get("review_state") != "PENDING":
        return None
    level, confidence = edge.get("level"), edge.get("confidence")
    if level is None or confidence is None or edge.get("id") is None:
        return None
    return str(level), float(confidence)


class ReviewTally:
    """One transaction's changes to the counters, applied just before it commits."""

    def __init__(self) -> None:
        self.deltas: Counter[Key] = Counter()

    def note(self, before: Iterable[EdgeState], after: Iterable[EdgeState]) -> None:
        for edge in before:
            if (key := _counted(edge)) is not None:
                self.deltas[key] -= 1
        for edge in after:
            if (key := _counted(edge)) is not None:
                self.deltas[key] += 1

    async def flush(self, tx: Tx) -> None:
        deltas = [
            {"level": level, "confidence": confidence, "delta": delta}
            for (level, confidence), delta in sorted(self.deltas.items())
            if delta
        ]
        self.deltas.clear()
        if deltas:
            await tx.run("lineage/count_review", deltas=deltas)


def note(tx: Tx, *, before: Iterable[EdgeState] = (), after: Iterable[EdgeState] = ()) -> None:
    """Record what a writer did to edges: each as it was (`before`) and as it is (`after`)."""
    tx.before_commit(ReviewTally).note(before, after)


async def recount(store: Store) -> int:
    """Rebuilds every counter from the edges themselves; returns how many edges are pending."""

    async def work(tx: Tx) -> int:
        rows = await tx.run("lineage/recount_review")
        return int(rows[0]["pending"])

    return await store.transaction(work)
