import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Background, Controls, MiniMap, Panel, ReactFlow, ReactFlowProvider, useNodesState, useReactFlow } from "@xyflow/react";
import { gql } from "../api.js";
import { href, navigate } from "../route.js";
import EdgePanel from "./EdgePanel.jsx";
import { exportPng } from "./exportPng.js";
import TableNode from "./TableNode.jsx";
import { columnPath, fieldsByTable, fromResult, labelOf, merge, toCsv, visibleEdges, withWays } from "./graphState.js";
import { DAGRE_LIMIT, layoutAll, nodeHeight, NODE_W, placeNear } from "./layout.js";

// Past this many tables, edges are drawn without their labels (an edge's panel still says it all).
const LABEL_LIMIT = DAGRE_LIMIT;
import { edgeLabel, LEGEND, provenanceOf, toFlowEdge } from "./provenance.js";
import { GRAPH, IMPACT } from "./queries.js";

const NODE_TYPES = { table: TableNode };
// Tables one picture loads before it is cut short (a link may ask for up to 5,000: max=).
const MAX_NODES = 500;

function readParams(params) {
  return {
    dir: params.get("dir") || "BOTH",
    depth: Math.min(Math.max(Number(params.get("depth")) || 1, 1), 10),
    rejected: params.get("rejected") === "1",
    impact: params.get("impact") || "",
    edge: params.get("edge") || "",
    open: (params.get("open") || "").split(",").filter(Boolean),
    find: params.get("find") || "",
    layer: params.get("layer") === "column" ? "column" : "table",
    column: params.get("column") || "",
    max: Math.min(Math.max(Number(params.get("max")) || MAX_NODES, 1), 5000),
  };
}

function Explorer({ rootId, params, user }) {
  const view = readParams(params);
  const [graph, setGraph] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [impact, setImpact] = useState(null);
  const [find, setFind] = useState(view.find);
  const [nodes, setNodes, onNodesChange] = useNodesState([]);
  const positions = useRef({});
  const { fitView } = useReactFlow();

  const setView = useCallback((changes) => {
    const next = { ...readParams(new URLSearchParams(location.hash.split("?")[1] || "")), ...changes };
    navigate("lineage", rootId, {
      dir: next.dir, depth: next.depth, rejected: next.rejected ? "1" : "", impact: next.impact,
      edge: next.edge, open: next.open.join(","), find: next.find,
      layer: next.layer === "column" ? "column" : "", column: next.column,
      max: next.max === MAX_NODES ? "" : next.max,
    }, { replace: true });
  }, [rootId]);

  const columns = view.layer === "column";
  const fetchGraph = (id, direction, depth) =>
    gql(GRAPH, { rootId: id, direction, depth, includeRejected: view.rejected, includeFields: columns, maxNodes: view.max }).then((d) => d.lineageGraph);
  const heightsOf = (g) => {
    if (!columns) return {};
    return Object.fromEntries([...fieldsByTable(g)].map(([id, list]) => [id, nodeHeight(list.length)]));
  };

  // The first picture, then every expansion the link lists, in order.
  useEffect(() => {
    let cancelled = false;
    setError(null);
    (async () => {
      let g = fromResult(await fetchGraph(rootId, view.dir, view.depth));
      performance.mark("clew:lineage-fetched");
      let pos = layoutAll([...g.nodes.values()], visibleEdges(g, "table"), heightsOf(g));
      for (const entry of view.open) {
        const [id, way] = entry.split(":");
        const anchor = g.nodes.get(id);
        if (!anchor) continue;
        const merged = merge(g, anchor, way, await fetchGraph(id, way, 1));
        g = merged.graph;
        pos = placeNear(anchor, merged.fresh, pos, heightsOf(g));
      }
      if (cancelled) return;
      performance.mark("clew:lineage-laid-out");
      positions.current = pos;
      setGraph(g);
      setTimeout(() => fitView({ padding: 0.2 }), 0);
    })().catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [rootId, view.dir, view.depth, view.rejected, view.layer]);

  useEffect(() => {
    if (!view.impact) { setImpact(null); return; }
    gql(IMPACT, { id: rootId, changeType: view.impact }).then((d) => setImpact(d.impact), (e) => setError(e.message));
  }, [rootId, view.impact, graph?.edges.size]);

  // A side panel narrows the canvas: fit the picture to what is left.
  const panelOpen = !!view.edge || !!impact;
  useEffect(() => { if (graph) setTimeout(() => fitView({ padding: 0.2 }), 0); }, [panelOpen]);

  async function expand(nodeId, way) {
    setBusy(true);
    try {
      const anchor = graph.nodes.get(nodeId);
      const merged = merge(graph, anchor, way, await fetchGraph(nodeId, way, 1));
      // Keep where the user dragged nodes; place only the new ones.
      const current = Object.fromEntries(nodes.map((n) => [n.id, n.position]));
      positions.current = placeNear(anchor, merged.fresh, { ...positions.current, ...current }, heightsOf(merged.graph));
      setGraph(merged.graph);
      setView({ open: [...view.open, `${nodeId}:${way}`] });
      // Bring the new neighbours into view; nothing already drawn moves.
      setTimeout(() => fitView({ padding: 0.2, duration: 200 }), 50);
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  const severity = useMemo(() => {
    const map = new Map();
    impact?.tables.forEach((t) => map.set(t.id, t.severity));
    return map;
  }, [impact]);

  const needle = find.trim().toLowerCase();
  const byTable = useMemo(() => (graph && columns ? fieldsByTable(graph) : new Map()), [graph, columns]);
  const path = useMemo(() => (graph && columns ? columnPath(graph, view.column) : columnPath(null, "")), [graph, columns, view.column]);
  const pickField = (fieldId) => setView({ column: view.column === fieldId ? "" : fieldId });
  useEffect(() => {
    if (!graph) return;
    setNodes((prev) => {
      const before = new Map(prev.map((n) => [n.id, n]));
      return [...graph.nodes.values()].map((raw) => {
        const n = withWays(raw);
        const fields = byTable.get(n.id) ?? [];
        return {
          id: n.id,
          type: "table",
          position: before.get(n.id)?.position ?? positions.current[n.id] ?? { x: 0, y: 0 },
          width: NODE_W,
          height: nodeHeight(fields.length),
          ariaLabel: `Table ${n.label}`,
          data: {
            label: n.label, kind: n.data.kind, depth: n.depth, moreUp: n.moreUp, moreDown: n.moreDown, isRoot: n.id === rootId,
            severity: severity.get(n.id), matched: !!needle && n.label.toLowerCase().includes(needle),
            fields, onPickField: pickField, pickedPath: view.column ? path.fieldIds : null,
            onExpand: (way) => expand(n.id, way),
          },
        };
      });
    });
  }, [graph, severity, needle, byTable, path, view.column]);

  const edges = useMemo(() => {
    if (!graph) return [];
    const parentOf = (id) => graph.fields.get(id)?.parentId;
    const labels = graph.nodes.size <= LABEL_LIMIT;
    return visibleEdges(graph, view.layer).map((e) => toFlowEdge(e, {
      selectedId: view.edge, parentOf, labels,
      emphasis: !view.column ? undefined : path.edgeIds.has(e.id) ? "path" : "faded",
    }));
  }, [graph, view.edge, view.layer, view.column, path]);

  function reviewed(changed) {
    setGraph((g) => {
      if (!g) return g;
      const next = new Map(g.edges);
      for (const c of changed) {
        const e = next.get(c.id);
        if (e) next.set(c.id, { ...e, provenance: c.lineageSource, reviewState: c.reviewState, confidence: c.confidence });
      }
      return { ...g, edges: next };
    });
  }

  function findInGraph(event) {
    event.preventDefault();
    setView({ find });
    const matches = nodes.filter((n) => n.data.matched);
    if (matches.length) fitView({ nodes: matches.map((n) => ({ id: n.id })), padding: 0.5, maxZoom: 1.2 });
  }

  function exportCsv() {
    const url = URL.createObjectURL(new Blob([toCsv(graph, view.layer)], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "lineage.csv";
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  const canvas = useRef(null);
  function savePng() {
    exportPng(canvas.current, nodes, `lineage-${(graph.nodes.get(rootId)?.label ?? "graph").replace(/[^\w.-]+/g, "_")}.png`).catch((e) => setError(`The picture could not be made: ${e.message ?? e}`));
  }

  const root = graph?.nodes.get(rootId);
  return (
    <section className="lineage">
      <p><a href={href("table", rootId)}>← {root?.label ?? "Table"}</a></p>
      <h1>Lineage of {root?.label ?? "…"}</h1>
      <div className="row toolbar" role="group" aria-label="Lineage settings">
        <label>Direction
          <select value={view.dir} onChange={(e) => setView({ dir: e.target.value, open: [] })}>
            <option value="BOTH">upstream and downstream</option>
            <option value="UPSTREAM">upstream</option>
            <option value="DOWNSTREAM">downstream</option>
          </select>
        </label>
        <label>Depth
          <select value={view.depth} onChange={(e) => setView({ depth: Number(e.target.value), open: [] })}>
            {[1, 2, 3, 4, 5, 6, 8, 10].map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </label>
        <label>Layer
          <select value={view.layer} onChange={(e) => setView({ layer: e.target.value, column: "", open: [] })}>
            <option value="table">tables</option>
            <option value="column">columns</option>
          </select>
        </label>
        <label><input type="checkbox" checked={view.rejected} onChange={(e) => setView({ rejected: e.target.checked, open: [] })} /> Show rejected edges</label>
        <label>Impact of
          <select value={view.impact} onChange={(e) => setView({ impact: e.target.value })}>
            <option value="">no change (impact off)</option>
            <option value="DROP">DROP</option>
            <option value="RENAME">RENAME</option>
            <option value="TYPE_CHANGE">TYPE_CHANGE</option>
          </select>
        </label>
        <form onSubmit={findInGraph} className="row" role="search" aria-label="Graph search">
          <label>Find in graph <input value={find} onChange={(e) => setFind(e.target.value)} /></label>
          <button type="submit">Find</button>
        </form>
        <button type="button" onClick={exportCsv} disabled={!graph}>Export CSV</button>
        <button type="button" onClick={savePng} disabled={!graph || !nodes.length}>Export PNG</button>
        {busy && <span className="muted" role="status">Expanding…</span>}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {graph?.truncated && <p className="notice" role="status">The graph reached {view.max} tables and was cut short; use a node’s “expand” buttons to go further.</p>}
      <div className="lineage-body">
        <div className="canvas" aria-label="Lineage graph" ref={canvas}>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={NODE_TYPES}
            onNodesChange={onNodesChange}
            onEdgeClick={(_, edge) => setView({ edge: edge.id })}
            nodesConnectable={false}
            minZoom={0.05}
            fitView
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls />
            <MiniMap pannable zoomable />
            <Panel position="top-left" className="legend" aria-label="Legend">
              {LEGEND.map(([p, how]) => <div key={p}><strong>{p}</strong>: {how}</div>)}
            </Panel>
          </ReactFlow>
        </div>
        {view.edge && <EdgePanel edgeId={view.edge} user={user} onClose={() => setView({ edge: "" })} onReviewed={reviewed} />}
        {impact && !view.edge && (
          <aside className="panel" aria-label="Impact">
            <h2>Impact of {view.impact}</h2>
            <p>{impact.tables.filter((t) => t.severity === "BREAKING").length} breaking, {impact.tables.filter((t) => t.severity === "REVIEW").length} to review{impact.truncated && " (cut short)"}</p>
            <ul>
              {impact.tables.map((t) => (
                <li key={t.id}><span className={`badge severity ${t.severity}`}>{t.severity}</span> <a href={href("table", t.id)}>{t.label}</a> <span className="muted">at {t.distance}</span></li>
              ))}
            </ul>
          </aside>
        )}
      </div>
      {graph && (
        <details className="edge-list">
          <summary>Edges as a table ({edges.length})</summary>
          <table className="grid" aria-label="Lineage edges">
            <thead><tr><th>Upstream</th><th>Downstream</th><th>Provenance</th><th><span className="sr-only">Open</span></th></tr></thead>
            <tbody>
              {edges.map((e) => (
                <tr key={e.id}>
                  <td>{labelOf(graph, e.data.source)}</td><td>{labelOf(graph, e.data.target)}</td>
                  <td>{edgeLabel(e.data)}</td>
                  <td><button type="button" onClick={() => setView({ edge: e.id })} aria-label={`Open edge ${labelOf(graph, e.data.source)} to ${labelOf(graph, e.data.target)}`} data-provenance={provenanceOf(e.data)}>Details</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  );
}

export default function Lineage(props) {
  return <ReactFlowProvider><Explorer {...props} /></ReactFlowProvider>;
}
