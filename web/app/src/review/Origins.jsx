import { originKind } from "../origins/Assertions.jsx";

const KINDS = ["SQL", "DBT", "OPENLINEAGE", "VIEW", "IMPORT", "PERSON"];

// What asserts the pending lineage: pick one to see (and decide) only what it asserts.
export default function Origins({ origins, kind, every, chosen, link, onKind, onEvery }) {
  const shown = origins.filter((o) => every || o.pendingEdgeCount > 0 || o.id === chosen);
  return (
    <section aria-label="Origins">
      <h2>Origins</h2>
      <div className="row filters">
        <label>Origin kind
          <select value={kind} onChange={(e) => onKind(e.target.value)}>
            <option value="">every kind</option>
            {KINDS.map((k) => <option key={k} value={k}>{originKind(k)}</option>)}
          </select>
        </label>
        <label className="inline-check"><input type="checkbox" checked={every} onChange={(e) => onEvery(e.target.checked)} /> Include origins with nothing waiting</label>
      </div>
      {shown.length === 0 ? (
        <p className="muted">{every || !origins.length ? "No origin of this kind has asserted lineage." : "No origin of this kind has lineage waiting for review."}</p>
      ) : (
        <table className="grid" aria-label="Origins of lineage">
          <thead><tr><th>Origin</th><th>Kind</th><th>Waiting for review</th><th>Asserts</th><th>Trusted</th></tr></thead>
          <tbody>
            {shown.map((o) => (
              <tr key={o.id} className={o.id === chosen ? "chosen" : undefined}>
                <td>
                  <a href={link(o.id)} aria-current={o.id === chosen ? "true" : undefined}>{o.label}</a>
                </td>
                <td>{originKind(o.kind)}</td>
                <td>{o.pendingEdgeCount}</td>
                <td>{o.assertedEdgeCount}</td>
                <td>{o.trusted ? `yes, by ${o.trustedBy}` : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
