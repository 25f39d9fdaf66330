// Provenance is told by line style AND a text label, never by colour alone.
import { MarkerType } from "@xyflow/react";

const STYLES = {
  APPROVED: { stroke: "#1b7f3b", strokeWidth: 3 },
  MANUAL: { stroke: "#2457a6", strokeWidth: 2 },
  INFERRED: { stroke: "#a15c00", strokeWidth: 2, strokeDasharray: "8 5" },
  REJECTED: { stroke: "#8a8a8a", strokeWidth: 1.5, strokeDasharray: "2 4" },
};

export function provenanceOf(edge) {
  return edge.reviewState === "REJECTED" ? "REJECTED" : edge.provenance;
}

export function edgeLabel(edge) {
  const p = provenanceOf(edge);
  const mark = p === "APPROVED" ? "✓ " : p === "REJECTED" ? "✗ " : p === "INFERRED" ? "? " : "";
  return `${mark}${p} ${edge.confidence.toFixed(2)}${edge.reviewState === "PENDING" ? " · pending" : ""}`;
}

// `parentOf` maps a field to its table: a field edge is drawn between the field rows (their
// handles) inside the two tables. `emphasis`: "selected", "path" (a picked column's path),
// "faded" (off that path) or nothing.
// `labels`: false for large pictures, where drawing and measuring thousands of edge labels is
// most of the time to first paint; the selected edge and a picked column's path keep theirs.
export function toFlowEdge(edge, { selectedId, parentOf = () => null, emphasis, labels = true } = {}) {
  const base = STYLES[provenanceOf(edge)];
  const selected = edge.id === selectedId || emphasis === "path";
  const style = { ...base, ...(selected ? { strokeWidth: base.strokeWidth + 2 } : {}), ...(emphasis === "faded" ? { opacity: 0.25 } : {}) };
  const field = edge.level === "FIELD";
  return {
    id: edge.id,
    source: field ? parentOf(edge.source) : edge.source,
    target: field ? parentOf(edge.target) : edge.target,
    ...(field ? { sourceHandle: `out-${edge.source}`, targetHandle: `in-${edge.target}` } : {}),
    label: (field || !labels) && emphasis !== "path" && edge.id !== selectedId ? undefined : edgeLabel(edge),
    style,
    labelStyle: { fontSize: 11, fontWeight: selected ? 700 : 500 },
    labelBgStyle: { fill: "#fff" },
    markerEnd: { type: MarkerType.ArrowClosed, color: base.stroke },
    data: edge,
    ariaLabel: `Lineage edge ${edgeLabel(edge)}`,
  };
}

export const LEGEND = [
  ["APPROVED", "thick solid line, ✓"],
  ["MANUAL", "solid line"],
  ["INFERRED", "dashed line, ?"],
  ["REJECTED", "dotted grey line, ✗ (shown when asked)"],
];
