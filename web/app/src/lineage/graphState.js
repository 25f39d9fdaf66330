// The explorer's graph as plain maps; merging an expansion keeps what is already there.
export function fromResult(result) {
  return {
    nodes: new Map(result.nodes.filter((n) => n.type === "table").map((n) => [n.id, { ...n }])),
    edges: new Map(result.edges.filter((e) => e.level === "TABLE").map((e) => [e.id, e])),
    truncated: result.truncated,
  };
}

// Adds an expansion of `anchor` (a lineageGraph rooted at it, depth 1); returns the new graph
// and the nodes that were not there before, with their depth relative to the anchor.
export function merge(graph, anchor, way, result) {
  const nodes = new Map(graph.nodes);
  const edges = new Map(graph.edges);
  const base = nodes.get(anchor.id);
  const fresh = [];
  for (const n of result.nodes) {
    if (n.type !== "table") continue;
    if (n.id === anchor.id) continue;
    if (!nodes.has(n.id)) {
      nodes.set(n.id, { ...n, depth: base.depth + n.depth });
      fresh.push({ id: n.id, relDepth: n.depth });
    }
  }
  for (const e of result.edges) if (e.level === "TABLE") edges.set(e.id, e);
  const stillMore = result.frontier.includes(anchor.id);
  const expandedWays = new Set([...(base.expanded || []), way]);
  const done = base.depth === 0 ? expandedWays.size === 2 || way === "BOTH" : true;
  nodes.set(anchor.id, { ...base, hasMore: stillMore || !done, expanded: [...expandedWays] });
  return { graph: { nodes, edges, truncated: graph.truncated || result.truncated }, fresh };
}

export function toCsv(graph) {
  const name = (id) => graph.nodes.get(id)?.label ?? id;
  const rows = [["upstream", "downstream", "provenance", "review", "confidence", "transformation"]];
  for (const e of graph.edges.values()) rows.push([name(e.source), name(e.target), e.provenance, e.reviewState, e.confidence, e.transformation ?? ""]);
  return rows.map((r) => r.map((v) => `"${String(v).replaceAll('"', '""')}"`).join(",")).join("\n") + "\n";
}
