import { useEffect, useState } from "react";
import { gql, unwrap } from "../api.js";
import { href } from "../route.js";
import { may, needs } from "../roles.js";
import { APPROVE, REJECT } from "../lineage/queries.js";

const QUEUE = `query Queue($level: LineageLevel, $min: Float!, $max: Float!) {
  reviewQueue(level: $level, minConfidence: $min, maxConfidence: $max, first: 100) {
    totalCount tableEdgeCount fieldEdgeCount
    edges {
      id level confidence lineageSource transformationType createdBy
      upstream { __typename ... on Table { id qualifiedName } ... on Field { id name table { id qualifiedName } } }
      downstream { __typename ... on Table { id qualifiedName } ... on Field { id name table { id qualifiedName } } }
    }
  }
}`;

const name = (end) => (end.__typename === "Table" ? end.qualifiedName : `${end.table.qualifiedName}.${end.name}`);
const tableOf = (end) => (end.__typename === "Table" ? end.id : end.table.id);

// Pending lineage, lowest confidence first; batch approve or reject with a reason.
export default function Review({ user }) {
  const [level, setLevel] = useState("");
  const [max, setMax] = useState(1);
  const [queue, setQueue] = useState(null);
  const [selected, setSelected] = useState(new Set());
  const [comment, setComment] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);

  const load = () => gql(QUEUE, { level: level || null, min: 0, max: Number(max) }).then((d) => setQueue(d.reviewQueue), (e) => setError(e.message));
  useEffect(() => { load(); }, [level, max]);

  const steward = may(user, "STEWARD");
  async function act(kind) {
    setError(null);
    try {
      const ids = [...selected];
      if (kind === "approve") unwrap((await gql(APPROVE, { ids, comment: comment || null })).approveLineage);
      else unwrap((await gql(REJECT, { ids, reason: comment })).rejectLineage);
      setDone(`${kind === "approve" ? "Approved" : "Rejected"} ${ids.length} edge${ids.length === 1 ? "" : "s"}.`);
      setSelected(new Set());
      setComment("");
      await load();
    } catch (e) {
      setError(e.message);
    }
  }

  const toggle = (id) => { const s = new Set(selected); s.has(id) ? s.delete(id) : s.add(id); setSelected(s); };
  return (
    <section>
      <h1>Review queue</h1>
      <div className="row filters">
        <label>Level
          <select value={level} onChange={(e) => setLevel(e.target.value)}>
            <option value="">tables and fields</option><option value="TABLE">tables</option><option value="FIELD">fields</option>
          </select>
        </label>
        <label>Confidence at most
          <input type="number" min="0" max="1" step="0.05" value={max} onChange={(e) => setMax(e.target.value)} />
        </label>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {done && <p className="notice" role="status">{done}</p>}
      {queue && (
        <>
          <p>{queue.totalCount} pending: {queue.tableEdgeCount} table edges, {queue.fieldEdgeCount} field edges. Lowest confidence first.</p>
          {steward ? (
            <div className="row">
              <label>Comment or reason <input value={comment} onChange={(e) => setComment(e.target.value)} /></label>
              <button type="button" disabled={!selected.size} onClick={() => act("approve")}>Approve selected ({selected.size})</button>
              <button type="button" disabled={!selected.size || !comment.trim()} title={comment.trim() ? "" : "Rejecting needs a reason."} onClick={() => act("reject")}>Reject selected ({selected.size})</button>
            </div>
          ) : <p className="muted">Approving or rejecting: {needs("STEWARD")}</p>}
          <table className="grid" aria-label="Pending lineage">
            <thead>
              <tr>
                <th><input type="checkbox" aria-label="Select all" disabled={!steward} checked={queue.edges.length > 0 && selected.size === queue.edges.length} onChange={(e) => setSelected(e.target.checked ? new Set(queue.edges.map((x) => x.id)) : new Set())} /></th>
                <th>Confidence</th><th>Upstream</th><th>Downstream</th><th>Provenance</th><th>Transformation</th><th>By</th>
              </tr>
            </thead>
            <tbody>
              {queue.edges.map((e) => (
                <tr key={e.id}>
                  <td><input type="checkbox" disabled={!steward} aria-label={`Select ${name(e.upstream)} to ${name(e.downstream)}`} checked={selected.has(e.id)} onChange={() => toggle(e.id)} /></td>
                  <td>{e.confidence.toFixed(2)}</td>
                  <td>{name(e.upstream)}</td>
                  <td><a href={href("lineage", tableOf(e.downstream), { dir: "BOTH", depth: 1, edge: e.level === "TABLE" ? e.id : "" })}>{name(e.downstream)}</a></td>
                  <td>{e.lineageSource}</td><td>{e.transformationType ?? "—"}</td><td>{e.createdBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
