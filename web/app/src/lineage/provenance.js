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

export function toFlowEdge(edge, selectedId) {
  const style = STYLES[provenanceOf(edge)];
  return {
    id: edge.id,
    source: edge.source,
    target: edge.target,
    label: edgeLabel(edge),
    style: edge.id === selectedId ? { ...style, strokeWidth: style.strokeWidth + 2 } : style,
    labelStyle: { fontSize: 11, fontWeight: edge.id === selectedId ? 700 : 500 },
    labelBgStyle: { fill: "#fff" },
    markerEnd: { type: MarkerType.ArrowClosed, color: style.stroke },
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
