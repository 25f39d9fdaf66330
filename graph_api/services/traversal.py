"""Breadth-first lineage traversal that visits each node once, in one statement.

Lineage graphs are full of diamonds, so the number of paths explodes with depth while the
number of nodes does not. Neo4j 5.26 plans `[:FLOWS_TO*1..n]` grouped by end node with
min(length) as a pruning breadth-first expand that visits each node once, so the whole search
(nodes, their distances, the node cap, the frontier and the edges among the nodes) is one
bounded statement per traversal, however many roots are traversed together (that is how
per-field lineage batches through a DataLoader) and whatever the direction. Measured with
`python -m benchmarks`: on a 640-table component with 262,144 paths it costs what the nodes
cost; tests/test_traversal.py counts its statements.

When ``max_nodes`` is hit the result says so (``truncated``) and lists the frontier: the
nodes whose neighbours were not loaded, for a client to expand on demand. Nodes are kept
nearest first (upstream before downstream at the same distance, then by id).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from graph_api.errors import ValidationError
from graph_api.models import Direction, LineageEdge, LineageLevel
from graph_api.store.lineage import GraphEdge, LineageRepository, TraversalFilter, Walk

DEFAULT_DEPTH = 3
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Reached:
    id: str
    # Signed distance from the root: negative upstream, positive downstream.
    depth: int
    parent: str | None
    via: LineageEdge | GraphEdge | None


@dataclass
class Traversal:
    nodes: dict[str, Reached] = field(default_factory=dict)
    edges: dict[str, LineageEdge | GraphEdge] = field(default_factory=dict)
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


async def traverse(
    repo: LineageRepository,
    *,
    level: LineageLevel,
    starts: dict[K, list[str]],
    direction: Direction,
    depth: int,
    traversal: TraversalFilter,
    max_nodes: int,
    full_edges: bool = True,
) -> dict[K, Traversal]:
    """With ``full_edges=False`` the edges carry only what a graph shows (GraphEdge)."""
    keys = list(starts)
    walks = await repo.traverse(
        level,
        [sorted(set(starts[key])) for key in keys],
        downstream=direction is not Direction.UPSTREAM,
        upstream=direction is not Direction.DOWNSTREAM,
        depth=depth,
        traversal=traversal,
        max_nodes=max_nodes,
        full_edges=full_edges,
    )
    return {key: _assemble(walk) for key, walk in zip(keys, walks, strict=True)}


def _assemble(walk: Walk) -> Traversal:
    """Each node's parent: the nearest-first predecessor one step closer to the start
    (lowest id, then lowest edge id), so paths (impact analysis) are deterministic."""
    depths = walk.depths
    parents: dict[str, tuple[str, LineageEdge | GraphEdge]] = {}
    for edge in sorted(walk.edges, key=lambda e: (e.upstream_id, e.downstream_id, e.id)):
        up, down = edge.upstream_id, edge.downstream_id
        for child, parent in ((down, up), (up, down)):
            d = depths[child]
            toward = d - 1 if child == down else d + 1
            if d != 0 and (d > 0) == (child == down) and depths[parent] == toward:
                parents.setdefault(child, (parent, edge))
    result = Traversal(truncated=walk.truncated, frontier=set(walk.frontier))
    for node_id in sorted(depths, key=lambda i: (abs(depths[i]), depths[i], i)):
        found = parents.get(node_id)
        result.nodes[node_id] = Reached(
            node_id, depths[node_id], found[0] if found else None, found[1] if found else None
        )
    result.edges = {e.id: e for e in walk.edges}
    return result
