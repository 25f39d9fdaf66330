import { useState } from "react";
import { gql, unwrap } from "../api.js";
import { href } from "../route.js";
import { may, needs } from "../roles.js";
import Confirm from "../Confirm.jsx";
import { originKind } from "../origins/Assertions.jsx";
import { APPROVE_ORIGIN, REJECT_ORIGIN, TRUST_ORIGIN, UNTRUST_ORIGIN } from "./queries.js";

const edges = (n) => `${n} edge${n === 1 ? "" : "s"}`;

// The origin the queue is filtered by: what it is, and (for stewards) deciding everything it
// asserts in one action, or trusting it.
export default function OriginPanel({ origin, user, onChanged }) {
  const [asking, setAsking] = useState(null); // "approve" | "reject"
  const [text, setText] = useState("");
  const [trustComment, setTrustComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const steward = may(user, "STEWARD");
  const pending = origin.pendingEdgeCount;

  async function run(action) {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const message = await action();
      setDone(message);
      setAsking(null);
      setText("");
      await onChanged();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  const decide = (kind) => run(async () => {
    const result = kind === "approve"
      ? unwrap((await gql(APPROVE_ORIGIN, { id: origin.id, comment: text.trim() || null })).approveOrigin)
      : unwrap((await gql(REJECT_ORIGIN, { id: origin.id, reason: text.trim() })).rejectOrigin);
    const n = result.reviewedEdgeCount;
    const left = result.origin.pendingEdgeCount;
    return `${kind === "approve" ? "Approved" : "Rejected"} ${edges(n)} from ${origin.label}.`
      + (left ? ` ${edges(left)} from it ${left === 1 ? "waits" : "wait"} for review still (asserted since).` : " Nothing from it waits for review now.");
  });

  const trust = (trusted) => run(async () => {
    const vars = { id: origin.id, comment: trustComment.trim() || null };
    const result = trusted
      ? unwrap((await gql(TRUST_ORIGIN, vars)).trustOrigin)
      : unwrap((await gql(UNTRUST_ORIGIN, vars)).untrustOrigin);
    setTrustComment("");
    const waiting = result.origin.pendingEdgeCount;
    return trusted
      ? `${origin.label} is trusted: the edges it asserts from now on arrive approved, with you as their reviewer.`
        + (waiting ? ` The ${edges(waiting)} already waiting ${waiting === 1 ? "stays" : "stay"} pending: “Approve all” decides ${waiting === 1 ? "it" : "them"}.` : "")
      : `${origin.label} is no longer trusted: the edges it asserts from now on wait for review.`;
  });

  return (
    <section className="card" aria-label={`Origin ${origin.label}`}>
      <div className="card-head">
        <h2>{origin.label}</h2>
        <a href={href("review")}>Show every origin's edges</a>
      </div>
      <p>
        A {originKind(origin.kind)} (<code>{origin.key}</code>). It asserts {edges(origin.assertedEdgeCount)}; <strong>{pending} wait{pending === 1 ? "s" : ""} for review</strong>.
        {" "}{origin.trusted
          ? `Trusted by ${origin.trustedBy}${origin.trustedAt ? ` on ${new Date(origin.trustedAt).toLocaleDateString()}` : ""}${origin.trustComment ? ` — “${origin.trustComment}”` : ""}: its new edges arrive approved.`
          : "Not trusted: its new edges wait for review."}
      </p>
      {error && !asking && <p className="error" role="alert">{error}</p>}
      {done && <p className="notice" role="status">{done}</p>}
      {steward ? (
        <div className="row">
          <button type="button" disabled={!pending} title={pending ? "" : "Nothing from this origin waits for review."} onClick={() => { setText(""); setError(null); setAsking("approve"); }}>Approve all {pending} from this origin</button>
          <button type="button" disabled={!pending} title={pending ? "" : "Nothing from this origin waits for review."} onClick={() => { setText(""); setError(null); setAsking("reject"); }}>Reject all {pending} from this origin</button>
          <label>Trust comment (optional) <input value={trustComment} onChange={(e) => setTrustComment(e.target.value)} /></label>
          {origin.trusted
            ? <button type="button" disabled={busy} onClick={() => trust(false)}>Stop trusting this origin</button>
            : <button type="button" disabled={busy} onClick={() => trust(true)}>Trust this origin</button>}
        </div>
      ) : (
        <p className="muted">Approving or rejecting everything from an origin, and trusting it: {needs("STEWARD")}</p>
      )}
      {asking && (
        <Confirm
          title={`${asking === "approve" ? "Approve" : "Reject"} all ${edges(pending)} from ${origin.label}?`}
          confirmLabel={`${asking === "approve" ? "Approve" : "Reject"} all ${pending}`}
          disabled={asking === "reject" && !text.trim()}
          busy={busy}
          onConfirm={() => decide(asking)}
          onCancel={() => { setError(null); setAsking(null); }}
        >
          <p>
            This decides every edge from this origin that waits for review, whatever the level and
            confidence filters show, and records your decision in each edge's history.
          </p>
          {error && <p className="error" role="alert">{error}</p>}
          <label>{asking === "approve" ? "Comment (optional)" : "Reason (needed to reject)"}
            <input value={text} onChange={(e) => setText(e.target.value)} autoFocus />
          </label>
        </Confirm>
      )}
    </section>
  );
}
