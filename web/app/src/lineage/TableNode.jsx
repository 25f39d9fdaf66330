import { Handle, Position } from "@xyflow/react";

// A table in the graph: its name, impact severity as a word, and expand buttons where
// its neighbours were not all loaded (hasMore).
export default function TableNode({ data }) {
  const { label, kind, hasMore, isRoot, severity, onExpand, depth, matched } = data;
  const classes = ["lineage-node", isRoot && "root", severity && `sev-${severity}`, matched && "matched"].filter(Boolean).join(" ");
  return (
    <div className={classes} data-testid={`node-${label}`}>
      <Handle type="target" position={Position.Left} />
      <div className="node-title" title={label}>{label}</div>
      <div className="node-meta">
        <span>{kind}</span>
        {isRoot && <span className="badge">root</span>}
        {severity && <span className={`badge severity ${severity}`}>{severity === "BREAKING" ? "⚠ BREAKING" : "◐ REVIEW"}</span>}
      </div>
      {hasMore && (
        <div className="node-expand">
          {depth <= 0 && <button type="button" className="nodrag" aria-label={`Expand ${label} upstream`} onClick={() => onExpand("UPSTREAM")}>◀ more</button>}
          {depth >= 0 && <button type="button" className="nodrag" aria-label={`Expand ${label} downstream`} onClick={() => onExpand("DOWNSTREAM")}>more ▶</button>}
        </div>
      )}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}
