"""Breadth-first lineage traversal that visits each node once.

Lineage graphs are full of diamonds, so enumerating paths (``[:FLOWS_TO*1..10]``) grows with
the number of paths, which explodes. Here each level is one batched Cypher step from the
whole frontier, and a node already reached is never expanded again: the cost grows with the
nodes reached, and a query costs at most ``depth`` round trips (x2 for BOTH), however many
roots are traversed together (that is how per-field lineage batches through a DataLoader).

When ``max_nodes`` is hit the result says so (``truncated``) and lists the frontier: the
nodes whose neighbours were not loaded, for a client to expand on demand.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from graph_api.errors import ValidationError
from graph_api.models import Direction, LineageEdge, LineageLevel
from graph_api.store.lineage import LineageRepository, Step, TraversalFilter

DEFAULT_DEPTH = 3
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Reached:
    id: str
    # Signed distance from the root: negative upstream, positive downstream.
    depth: int
    parent: str | None
    via: LineageEdge | None


@dataclass
class Traversal:
    nodes: dict[str, Reached] = field(default_factory=dict)
    edges: dict[str, LineageEdge] = field(default_factory=dict)
    truncated: bool = False
    frontier: set[str] = field(default_factory=set)

    def path_to(self, node_id: str) -> list[str]:
        path = [node_id]
        while (parent := self.nodes[path[-1]].parent) is not None:
            path.append(parent)
        return path[::-1]


def check_depth(depth: int, *, maximum: int) -> int:
    """Depth reaches Cypher only as a loop bound, never as text; still, bound it."""
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= maximum:
        raise ValidationError(
            f"Depth must be a whole number from 1 to {maximum}, got {depth!r}; to see further, "
            "expand the frontier nodes of the result.",
            field="depth",
        )
    return depth


def check_max_nodes(max_nodes: int, *, maximum: int) -> int:
    if not 1 <= max_nodes <= maximum:
        raise ValidationError(
            f"maxNodes must be from 1 to {maximum}, got {max_nodes}.", field="maxNodes"
        )
    return max_nodes


def _directions(direction: Direction) -> tuple[Direction, ...]:
    if direction is Direction.BOTH:
        return (Direction.UPSTREAM, Direction.DOWNSTREAM)
    return (direction,)


async def traverse(
    repo: LineageRepository,
    *,
    level: LineageLevel,
    starts: dict[K, list[str]],
    direction: Direction,
    depth: int,
    traversal: TraversalFilter,
    max_nodes: int,
) -> dict[K, Traversal]:
    results = {key: Traversal() for key in starts}
    # Per key and direction: the nodes to expand at the next level.
    frontiers: dict[tuple[K, Direction], list[str]] = {}
    for key, ids in starts.items():
        for node_id in sorted(set(ids)):
            results[key].nodes[node_id] = Reached(node_id, 0, None, None)
        for way in _directions(direction):
            frontiers[(key, way)] = sorted(set(ids))
    stopped: set[K] = set()

    for distance in range(1, depth + 1):
        for way in _directions(direction):
            wanted = sorted(
                {
                    node_id
                    for (key, w), ids in frontiers.items()
                    if w is way and key not in stopped
                    for node_id in ids
                }
            )
            if not wanted:
                continue
            steps = await repo.step(level, way, wanted, traversal)
            steps.sort(key=lambda s: (s.from_id, s.to_id, s.edge.id))
            by_from: dict[str, list[Step]] = {}
            for step in steps:
                by_from.setdefault(step.from_id, []).append(step)
            sign = -1 if way is Direction.UPSTREAM else 1
            for key in results:
                if key in stopped:
                    continue
                result = results[key]
                next_frontier: list[str] = []
                for from_id in frontiers.get((key, way), []):
                    for step in by_from.get(from_id, []):
                        if step.to_id not in result.nodes:
                            if len(result.nodes) >= max_nodes:
                                result.truncated = True
                                result.frontier.add(from_id)
                                continue
                            result.nodes[step.to_id] = Reached(
                                step.to_id, sign * distance, from_id, step.edge
                            )
                            next_frontier.append(step.to_id)
                        result.edges[step.edge.id] = step.edge
                frontiers[(key, way)] = next_frontier
        for key, result in results.items():
            if result.truncated:
                stopped.add(key)

    # Nodes reached but never expanded may have neighbours the client has not seen.
    for way in _directions(direction):
        pending = sorted({i for (k, w), ids in frontiers.items() if w is way for i in ids})
        more = await repo.has_more(level, way, pending, traversal)
        for (key, w), ids in frontiers.items():
            if w is way:
                results[key].frontier.update(i for i in ids if i in more)
    for result in results.values():
        result.edges = {
            eid: e
            for eid, e in result.edges.items()
            if e.upstream_id in result.nodes and e.downstream_id in result.nodes
        }
    return results
