import { useEffect, useState } from "react";
import { gql, unwrap } from "../api.js";
import { useLatest } from "../latest.js";
import { href, navigate } from "../route.js";
import { may, needs } from "../roles.js";
import { APPROVE, REJECT } from "../lineage/queries.js";
import Assertions from "../origins/Assertions.jsx";
import OriginPanel from "./OriginPanel.jsx";
import Origins from "./Origins.jsx";
import { ORIGIN, ORIGINS, QUEUE } from "./queries.js";

const name = (end) => (end.__typename === "Table" ? end.qualifiedName : `${end.table.qualifiedName}.${end.name}`);
const tableOf = (end) => (end.__typename === "Table" ? end.id : end.table.id);

function readParams(params) {
  return {
    level: ["TABLE", "FIELD"].includes(params.get("level")) ? params.get("level") : "",
    max: params.get("max") ?? "1",
    origin: params.get("origin") || "",
    kind: params.get("kind") || "",
    every: params.get("every") === "1",
  };
}

const toParams = (v) => ({ level: v.level, max: v.max === "1" ? "" : v.max, origin: v.origin, kind: v.kind, every: v.every ? "1" : "" });

// Pending lineage, lowest confidence first, filtered by origin if one is picked; batch
// approve or reject with a reason, or decide everything one origin asserts.
export default function Review({ user, params }) {
  const view = readParams(params);
  const [queue, setQueue] = useState(null);
  const [origins, setOrigins] = useState(null);
  const [origin, setOrigin] = useState(null); // the picked origin, or false when there is none with that id
  const [selected, setSelected] = useState(new Set());
  const [comment, setComment] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);

  const setView = (changes) => navigate("review", null, toParams({ ...view, ...changes }), { replace: true });
  const link = (id) => href("review", null, toParams({ ...view, origin: id }));

  const latest = useLatest();
  const loadQueue = () => {
    const show = latest("queue");
    return gql(QUEUE, { level: view.level || null, min: 0, max: Number(view.max) || 0, originId: view.origin || null })
      .then(show((d) => setQueue(d.reviewQueue)), (e) => setError(e.message));
  };
  const loadOrigins = () => {
    const show = latest("origins");
    return Promise.all([
      gql(ORIGINS, { kind: view.kind || null }).then(show((d) => setOrigins(d.origins)), (e) => setError(e.message)),
      view.origin ? gql(ORIGIN, { id: view.origin }).then(show((d) => setOrigin(d.origin ?? false)), (e) => setError(e.message)) : setOrigin(null),
    ]);
  };
  const reload = () => Promise.all([loadQueue(), loadOrigins()]);
  useEffect(() => { loadQueue(); }, [view.level, view.max, view.origin]);
  useEffect(() => { loadOrigins(); }, [view.kind, view.origin]);
  useEffect(() => { setSelected(new Set()); setDone(null); }, [view.origin]);

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
      await reload();
    } catch (e) {
      setError(e.message);
    }
  }

  const toggle = (id) => { const s = new Set(selected); s.has(id) ? s.delete(id) : s.add(id); setSelected(s); };
  return (
    <section>
      <h1>Review queue</h1>
      {origins && <Origins origins={origins} kind={view.kind} every={view.every} chosen={view.origin} link={link}
        onKind={(kind) => setView({ kind })} onEvery={(every) => setView({ every })} />}
      {origin === false && (
        <p className="error" role="alert">No origin has this id any more (re-ingesting can replace one). <a href={link("")}>Show every origin's edges</a>.</p>
      )}
      {origin && <OriginPanel key={origin.id} origin={origin} user={user} onChanged={reload} />}
      <h2>{origin ? `Pending edges from ${origin.label}` : "Pending edges"}</h2>
      <div className="row filters">
        <label>Level
          <select value={view.level} onChange={(e) => setView({ level: e.target.value })}>
            <option value="">tables and fields</option><option value="TABLE">tables</option><option value="FIELD">fields</option>
          </select>
        </label>
        <label>Confidence at most
          <input type="number" min="0" max="1" step="0.05" value={view.max} onChange={(e) => setView({ max: e.target.value })} />
        </label>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {done && <p className="notice" role="status">{done}</p>}
      {queue && (
        <>
          <p>{queue.totalCount} pending: {queue.tableEdgeCount} table edges, {queue.fieldEdgeCount} field edges. Lowest confidence first.
            {queue.edges.length < queue.totalCount && ` The first ${queue.edges.length} are shown.`}</p>
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
                <th>Confidence</th><th>Upstream</th><th>Downstream</th><th>Provenance</th><th>Transformation</th><th>By</th><th>Origins and evidence</th>
              </tr>
            </thead>
            <tbody>
              {queue.edges.map((e) => (
                <tr key={e.id}>
                  <td><input type="checkbox" disabled={!steward} aria-label={`Select ${name(e.upstream)} to ${name(e.downstream)}`} checked={selected.has(e.id)} onChange={() => toggle(e.id)} /></td>
                  <td>{e.confidence.toFixed(2)}</td>
                  <td>{name(e.upstream)}</td>
                  <td><a href={href("lineage", tableOf(e.downstream), { dir: "BOTH", depth: 1, edge: e.id, layer: e.level === "FIELD" ? "column" : "" })}>{name(e.downstream)}</a></td>
                  <td>{e.lineageSource}</td><td>{e.transformationType ?? "—"}</td><td>{e.createdBy}</td>
                  <td><Assertions assertions={e.assertions} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
