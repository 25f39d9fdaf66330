import { Handle, Position } from "@xyflow/react";
import { FIELD_ROW_H } from "./layout.js";

// A table in the graph: its name, impact severity as a word, expand buttons where its
// neighbours were not all loaded, and in the column layer its fields, each with its own
// handles so field edges join the rows; clicking a field highlights its path.
export default function TableNode({ data }) {
  const { label, kind, moreUp, moreDown, isRoot, severity, onExpand, matched, fields = [], onPickField, pickedPath } = data;
  const classes = ["lineage-node", isRoot && "root", severity && `sev-${severity}`, matched && "matched", fields.length && "with-fields"].filter(Boolean).join(" ");
  return (
    <div className={classes} data-testid={`node-${label}`}>
      <Handle type="target" position={Position.Left} />
      <div className="node-title" title={label}>{label}</div>
      <div className="node-meta">
        <span>{kind}</span>
        {isRoot && <span className="badge">root</span>}
        {severity && <span className={`badge severity ${severity}`}>{severity === "BREAKING" ? "⚠ BREAKING" : "◐ REVIEW"}</span>}
      </div>
      {(moreUp || moreDown) && (
        <div className="node-expand">
          {moreUp ? <button type="button" className="nodrag" aria-label={`Expand ${label} upstream`} onClick={() => onExpand("UPSTREAM")}><span aria-hidden="true">◀ </span>expand</button> : <span />}
          {moreDown && <button type="button" className="nodrag" aria-label={`Expand ${label} downstream`} onClick={() => onExpand("DOWNSTREAM")}>expand<span aria-hidden="true"> ▶</span></button>}
        </div>
      )}
      {fields.length > 0 && (
        <ul className="node-fields" aria-label={`Columns of ${label}`}>
          {fields.map((f) => {
            const onPath = pickedPath?.has(f.id);
            return (
              <li key={f.id} className={onPath ? "on-path" : undefined} style={{ height: FIELD_ROW_H }} data-testid={`field-${label}.${f.data.name}`}>
                <Handle type="target" id={`in-${f.id}`} position={Position.Left} />
                <button type="button" className="nodrag field-pick" aria-pressed={!!onPath} onClick={() => onPickField(f.id)} title={f.data.dataType ?? ""}>
                  {onPath && <span aria-hidden="true">▸ </span>}{f.data.name} <span className="muted">{f.data.dataType ?? ""}</span>
                </button>
                <Handle type="source" id={`out-${f.id}`} position={Position.Right} />
              </li>
            );
          })}
        </ul>
      )}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}
