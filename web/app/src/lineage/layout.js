// Layout: dagre lays out the first picture once; an expansion places only the new nodes
// next to the node they were reached from, so the rest of the picture stays where it was.
// A node's height grows with the fields it shows (the column layer).
import { Graph, layout } from "@dagrejs/dagre";

export const NODE_W = 240;
export const NODE_H = 68;
export const FIELD_ROW_H = 22;
// Between columns: room for an edge's label ("INFERRED 0.60 · pending") clear of both nodes.
const RANK_GAP = 170;
const COL = NODE_W + RANK_GAP;
const GAP = 24;

export function nodeHeight(fieldCount = 0) {
  return NODE_H + (fieldCount ? fieldCount * FIELD_ROW_H + 8 : 0);
}

// Past this many nodes dagre's ranking and crossing reduction take minutes (benchmarks/
// web_render.py: 130 s for 2,000 tables), so large pictures are laid out in columns by depth.
export const DAGRE_LIMIT = 300;

// heights: node id -> height (missing: a plain table node).
export function layoutAll(nodes, edges, heights = {}) {
  if (nodes.length > DAGRE_LIMIT) return layoutColumns(nodes, edges, heights);
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: GAP, ranksep: RANK_GAP });
  g.setDefaultEdgeLabel(() => ({}));
  nodes.forEach((n) => g.setNode(n.id, { width: NODE_W, height: heights[n.id] ?? NODE_H }));
  edges.forEach((e) => g.hasNode(e.source) && g.hasNode(e.target) && g.setEdge(e.source, e.target));
  layout(g);
  const positions = {};
  nodes.forEach((n) => {
    const p = g.node(n.id);
    positions[n.id] = { x: p.x - NODE_W / 2, y: p.y - (heights[n.id] ?? NODE_H) / 2 };
  });
  return positions;
}

// New nodes go in the columns beside `anchor` (by their depth relative to it), in free space.
export function placeNear(anchor, fresh, positions, heights = {}) {
  const placed = { ...positions };
  const h = (id) => heights[id] ?? NODE_H;
  const start = placed[anchor.id] ?? { x: 0, y: 0 };
  const byColumn = new Map();
  fresh.forEach((n) => {
    const x = start.x + n.relDepth * COL;
    if (!byColumn.has(x)) byColumn.set(x, []);
    byColumn.get(x).push(n);
  });
  for (const [x, column] of byColumn) {
    const taken = Object.entries(placed).filter(([, p]) => Math.abs(p.x - x) < NODE_W).map(([id, p]) => [p.y, p.y + h(id)]);
    const total = column.reduce((s, n) => s + h(n.id) + GAP, -GAP);
    let y = start.y + h(anchor.id) / 2 - total / 2;
    for (const n of column) {
      const clash = () => taken.find(([top, bottom]) => y < bottom + GAP && y + h(n.id) + GAP > top);
      for (let c = clash(); c; c = clash()) y = c[1] + GAP;
      placed[n.id] = { x, y };
      taken.push([y, y + h(n.id)]);
      y += h(n.id) + GAP;
    }
  }
  return placed;
}

// One column per distance from the root; in each column, nodes ordered by where their
// upstream neighbours sit (one sweep, left to right), then stacked. Linear in the graph.
export function layoutColumns(nodes, edges, heights = {}) {
  const h = (id) => heights[id] ?? NODE_H;
  const columns = new Map();
  nodes.forEach((n) => {
    if (!columns.has(n.depth)) columns.set(n.depth, []);
    columns.get(n.depth).push(n);
  });
  const parents = new Map();
  edges.forEach((e) => {
    if (!parents.has(e.target)) parents.set(e.target, []);
    parents.get(e.target).push(e.source);
  });
  const row = new Map();
  const positions = {};
  for (const depth of [...columns.keys()].sort((a, b) => a - b)) {
    const column = columns.get(depth);
    const weight = (n) => {
      const seen = (parents.get(n.id) ?? []).filter((p) => row.has(p));
      return seen.length ? seen.reduce((s, p) => s + row.get(p), 0) / seen.length : Infinity;
    };
    const keyed = column.map((n) => [weight(n), n.label, n]);
    keyed.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    const total = keyed.reduce((sum, [, , n]) => sum + h(n.id) + GAP, -GAP);
    let y = -total / 2;
    keyed.forEach(([, , n], i) => {
      row.set(n.id, i);
      positions[n.id] = { x: depth * COL, y };
      y += h(n.id) + GAP;
    });
  }
  return positions;
}
