import { useEffect, useState } from "react";
import { gql, unwrap } from "../api.js";
import { useLatest } from "../latest.js";
import { may, needs } from "../roles.js";
import Assertions from "../origins/Assertions.jsx";
import { APPROVE, EDGE, REJECT } from "./queries.js";

function endName(end) {
  if (!end) return "?";
  return end.__typename === "Table" ? end.qualifiedName : `${end.table.qualifiedName}.${end.name}`;
}

// An edge's transformation, logic, the origins that assert it with their evidence, and history; approve or reject for stewards.
export default function EdgePanel({ edgeId, user, onClose, onReviewed }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [comment, setComment] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);

  const latest = useLatest();
  const load = () => { const show = latest(); return gql(EDGE, { id: edgeId }).then(show(setData), show((e) => setError(e.message))); };
  useEffect(() => { setData(null); setError(null); load(); }, [edgeId]);

  async function review(kind) {
    setBusy(true);
    setError(null);
    try {
      const result = kind === "approve"
        ? unwrap((await gql(APPROVE, { ids: [edgeId], comment: comment || null })).approveLineage)
        : unwrap((await gql(REJECT, { ids: [edgeId], reason })).rejectLineage);
      onReviewed(result.results.map((r) => r.edge));
      setReason("");
      setComment("");
      await load();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  const steward = may(user, "STEWARD");
  const e = data?.lineageEdge;
  return (
    <aside className="panel" aria-label="Edge details">
      <div className="row"><h2>Edge</h2><button type="button" onClick={onClose} aria-label="Close edge details">×</button></div>
      {error && <p className="error" role="alert">{error}</p>}
      {!e && !error && <p className="muted">Loading…</p>}
      {e && (
        <>
          <p><strong>{endName(e.upstream)}</strong> → <strong>{endName(e.downstream)}</strong></p>
          <dl>
            <dt>Provenance</dt><dd data-testid="edge-provenance">{e.lineageSource}</dd>
            <dt>Review</dt><dd data-testid="edge-review">{e.reviewState}{e.reviewedBy && ` by ${e.reviewedBy}`}{e.reviewComment && ` — “${e.reviewComment}”`}</dd>
            <dt>Confidence</dt><dd>{e.confidence.toFixed(2)}</dd>
            <dt>Level</dt><dd>{e.level}{e.implied && " (implied by field lineage)"}</dd>
            <dt>Transformation</dt><dd>{e.transformationType ?? "—"}</dd>
            <dt>Logic</dt><dd>{e.transformationLogic ? <pre>{e.transformationLogic}</pre> : "—"}</dd>
            <dt>Description</dt><dd>{e.description ?? "—"}</dd>
            <dt>Created</dt><dd>by {e.createdBy}, {new Date(e.createdAt).toLocaleString()}</dd>
          </dl>
          {e.reviewState === "PENDING" && (
            steward ? (
              <div className="review-actions">
                <label>Comment (optional) <input value={comment} onChange={(ev) => setComment(ev.target.value)} /></label>
                <button type="button" disabled={busy} onClick={() => review("approve")}>Approve</button>
                <label>Reason to reject <input value={reason} onChange={(ev) => setReason(ev.target.value)} /></label>
                <button type="button" disabled={busy || !reason.trim()} title={reason.trim() ? "" : "Give a reason first."} onClick={() => review("reject")}>Reject</button>
              </div>
            ) : (
              <p className="muted">Approving or rejecting: {needs("STEWARD")}</p>
            )
          )}
          <h3>Origins</h3>
          <Assertions assertions={e.assertions} linkToReview />
          <h3>History</h3>
          <ol className="history">
            {data.history.nodes.map((c) => (
              <li key={c.id}><strong>{c.action}</strong> by {c.actor}, {new Date(c.at).toLocaleString()}{c.comment && ` — ${c.comment}`}</li>
            ))}
          </ol>
        </>
      )}
    </aside>
  );
}
