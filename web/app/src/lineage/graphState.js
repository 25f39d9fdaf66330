// The explorer's graph as plain maps; merging an expansion keeps what is already there.
// Tables are the graph's nodes; in the column layer their fields (parentId = the table) ride
// inside them, and field edges join field to field.
export function fromResult(result) {
  return {
    nodes: new Map(result.nodes.filter((n) => n.type === "table").map((n) => [n.id, { ...n }])),
    fields: new Map(result.nodes.filter((n) => n.type === "field" && n.parentId).map((n) => [n.id, n])),
    edges: new Map(result.edges.map((e) => [e.id, e])),
    truncated: result.truncated,
  };
}

// Which ways a node still has unloaded neighbours: the API's directional flags, or (an
// older server) its undirected hasMore read by which side of the root the node is on.
function moreWays(n) {
  if (n.hasMoreUpstream !== undefined) return { up: n.hasMoreUpstream, down: n.hasMoreDownstream };
  return { up: n.hasMore && n.depth <= 0, down: n.hasMore && n.depth >= 0 };
}

export function withWays(n) {
  const { up, down } = moreWays(n);
  return { ...n, moreUp: up, moreDown: down };
}

// Adds an expansion of `anchor` (a lineageGraph rooted at it, depth 1); returns the new graph
// and the nodes that were not there before, with their depth relative to the anchor.
export function merge(graph, anchor, way, result) {
  const nodes = new Map(graph.nodes);
  const fields = new Map(graph.fields);
  const edges = new Map(graph.edges);
  const base = nodes.get(anchor.id);
  const fresh = [];
  for (const n of result.nodes) {
    if (n.type === "field") {
      if (n.parentId && !fields.has(n.id)) fields.set(n.id, n);
      continue;
    }
    if (n.id === anchor.id) continue;
    if (!nodes.has(n.id)) {
      nodes.set(n.id, { ...n, depth: base.depth + n.depth });
      fresh.push({ id: n.id, relDepth: n.depth });
    }
  }
  for (const e of result.edges) edges.set(e.id, e);
  const root = result.nodes.find((n) => n.id === anchor.id);
  const ways = root ? moreWays(root) : { up: false, down: false };
  nodes.set(anchor.id, {
    ...base,
    hasMoreUpstream: way === "DOWNSTREAM" ? moreWays(base).up : ways.up,
    hasMoreDownstream: way === "UPSTREAM" ? moreWays(base).down : ways.down,
  });
  return { graph: { nodes, fields, edges, truncated: graph.truncated || result.truncated }, fresh };
}

// The fields of each table that the picture holds, in a stable order.
export function fieldsByTable(graph) {
  const byTable = new Map();
  for (const f of graph.fields.values()) {
    if (!graph.nodes.has(f.parentId)) continue;
    if (!byTable.has(f.parentId)) byTable.set(f.parentId, []);
    byTable.get(f.parentId).push(f);
  }
  for (const list of byTable.values()) list.sort((a, b) => a.data.name.localeCompare(b.data.name));
  return byTable;
}

// A column's whole path within the picture: every field edge reachable upstream and
// downstream of it, and the fields on them.
export function columnPath(graph, fieldId) {
  const edgeIds = new Set();
  const fieldIds = new Set([fieldId]);
  if (!fieldId) return { edgeIds, fieldIds };
  const fieldEdges = [...graph.edges.values()].filter((e) => e.level === "FIELD");
  for (const [from, to] of [["target", "source"], ["source", "target"]]) {
    const queue = [fieldId];
    const seen = new Set(queue);
    while (queue.length) {
      const at = queue.shift();
      for (const e of fieldEdges) {
        if (e[to] !== at || seen.has(e[from])) continue;
        edgeIds.add(e.id);
        fieldIds.add(e[from]);
        seen.add(e[from]);
        queue.push(e[from]);
      }
    }
  }
  return { edgeIds, fieldIds };
}

// What the graph draws in a layer: table edges for tables; in the column layer, field edges,
// and a table edge only where no field edge joins the same two tables.
export function visibleEdges(graph, layer) {
  const all = [...graph.edges.values()];
  const tableOf = (id) => (graph.nodes.has(id) ? id : graph.fields.get(id)?.parentId);
  const shown = (e) => graph.nodes.has(tableOf(e.source)) && graph.nodes.has(tableOf(e.target));
  if (layer !== "column") return all.filter((e) => e.level === "TABLE" && shown(e));
  const fieldEdges = all.filter((e) => e.level === "FIELD" && shown(e) && graph.fields.has(e.source) && graph.fields.has(e.target));
  const joined = new Set(fieldEdges.map((e) => `${tableOf(e.source)}>${tableOf(e.target)}`));
  const tableEdges = all.filter((e) => e.level === "TABLE" && shown(e) && !joined.has(`${e.source}>${e.target}`));
  return [...fieldEdges, ...tableEdges];
}

export function labelOf(graph, id) {
  return graph.nodes.get(id)?.label ?? graph.fields.get(id)?.label ?? id;
}

export function toCsv(graph, layer = "table") {
  const rows = [["level", "upstream", "downstream", "provenance", "review", "confidence", "transformation"]];
  for (const e of visibleEdges(graph, layer)) rows.push([e.level, labelOf(graph, e.source), labelOf(graph, e.target), e.provenance, e.reviewState, e.confidence, e.transformation ?? ""]);
  return rows.map((r) => r.map((v) => `"${String(v).replaceAll('"', '""')}"`).join(",")).join("\n") + "\n";
}
