// Layout: dagre lays out the first picture once; an expansion places only the new nodes
// next to the node they were reached from, so the rest of the picture stays where it was.
import { Graph, layout } from "@dagrejs/dagre";

export const NODE_W = 240;
export const NODE_H = 68;
const COL = NODE_W + 110;
const ROW = NODE_H + 24;

export function layoutAll(nodes, edges) {
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 110 });
  g.setDefaultEdgeLabel(() => ({}));
  nodes.forEach((n) => g.setNode(n.id, { width: NODE_W, height: NODE_H }));
  edges.forEach((e) => g.setEdge(e.source, e.target));
  layout(g);
  const positions = {};
  nodes.forEach((n) => {
    const p = g.node(n.id);
    positions[n.id] = { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 };
  });
  return positions;
}

// New nodes go in the columns beside `anchor` (by their depth relative to it), in free rows.
export function placeNear(anchor, fresh, positions) {
  const placed = { ...positions };
  const start = placed[anchor.id] ?? { x: 0, y: 0 };
  const byColumn = new Map();
  fresh.forEach((n) => {
    const x = start.x + n.relDepth * COL;
    if (!byColumn.has(x)) byColumn.set(x, []);
    byColumn.get(x).push(n);
  });
  for (const [x, column] of byColumn) {
    const taken = Object.values(placed).filter((p) => Math.abs(p.x - x) < NODE_W).map((p) => p.y);
    let y = start.y - ((column.length - 1) * ROW) / 2;
    for (const n of column) {
      while (taken.some((t) => Math.abs(t - y) < ROW)) y += ROW;
      placed[n.id] = { x, y };
      taken.push(y);
      y += ROW;
    }
  }
  return placed;
}
