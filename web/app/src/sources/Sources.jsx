import { useEffect, useState } from "react";
import { gql, liveRoundTrip, onSocket, subscribe, unwrap } from "../api.js";
import { may, needs } from "../roles.js";
import SourceForm from "./SourceForm.jsx";

const SOURCES = `query Sources {
  sources(first: 100) {
    totalCount
    nodes { id name type description active lastTest { at success message latencyMs product version } connection { host port database serviceName username passwordSet apiKeySet } }
  }
}`;

const TEST = `mutation Test($id: ID!) {
  testConnection(sourceId: $id) {
    __typename
    ... on ConnectionTestReport { result { id } }
    ... on UserError { code message field }
  }
}`;

const LIVE = `subscription Live($id: ID!) {
  connectionTestResults(sourceId: $id) { id success reason message hint latencyMs product version actor at operation }
}`;

const LOG = `query Log($id: ID!) {
  connectionTests(sourceId: $id, first: 20) { nodes { id success reason message hint latencyMs product version actor at operation } }
}`;

function TestResult({ r }) {
  return (
    <li className={r.success ? "ok" : "failed"}>
      <strong>{r.success ? "✓ Connected" : `✗ ${r.reason ?? "Failed"}`}</strong>
      {r.success && <> — {r.product} {r.version}, {r.latencyMs?.toFixed(0)} ms</>}
      {r.message && <> — {r.message}</>}
      {r.hint && <div className="muted">{r.hint}</div>}
      <div className="muted small">{r.operation} by {r.actor}, {new Date(r.at).toLocaleString()}</div>
    </li>
  );
}

function SourceDetail({ source, user, onTested, onSaved }) {
  const [editing, setEditing] = useState(false);
  const [live, setLive] = useState([]);
  const [log, setLog] = useState([]);
  const [status, setStatus] = useState("connecting");
  const [error, setError] = useState(null);

  const loadLog = () => gql(LOG, { id: source.id }).then((d) => setLog(d.connectionTests.nodes), (e) => setError(e.message));
  useEffect(() => {
    let active = true;
    const off = onSocket((s) => setStatus(s === "connected" ? "connecting" : s));
    const stop = subscribe(LIVE, { id: source.id }, {
      onData: (d) => { setLive((l) => [d.connectionTestResults, ...l]); onTested(); },
      onError: (e) => setError(e.message),
    });
    liveRoundTrip().then(() => active && setStatus("listening"), (e) => active && setError(e.message));
    loadLog();
    return () => { active = false; off(); stop(); };
  }, [source.id]);

  const [testing, setTesting] = useState(false);
  async function test() {
    setError(null);
    setTesting(true);
    try {
      unwrap((await gql(TEST, { id: source.id })).testConnection);
      // The log is read back too, so a result is kept even if the live connection missed it.
      loadLog();
    } catch (e) {
      setError(e.message);
    } finally {
      setTesting(false);
    }
  }

  const admin = may(user, "ADMIN");
  return (
    <div className="card" aria-label={`Source ${source.name}`}>
      <h2>{source.name} <span className="badge">{source.type}</span></h2>
      {source.description && <p>{source.description}</p>}
      <p className="muted" data-testid="connection-summary">{source.connection.host}:{source.connection.port} {source.connection.database} {source.connection.username && `as ${source.connection.username}`} {source.connection.passwordSet && "(password stored)"}</p>
      <p className="row">
        <button type="button" onClick={test} disabled={!admin || testing} title={admin ? "" : needs("ADMIN")}>{testing ? "Testing…" : "Test connection"}</button>
        <button type="button" onClick={() => setEditing(true)} disabled={!admin || editing} title={admin ? "" : needs("ADMIN")}>Edit settings</button>
        <span className="muted small" data-testid="live-status">Live results: {status}</span>
      </p>
      {editing && <SourceForm source={source} onSaved={() => { setEditing(false); onSaved(); }} onCancel={() => setEditing(false)} />}
      {error && <p className="error" role="alert">{error}</p>}
      <h3>Live results</h3>
      <ul className="tests" aria-label="Live results">{live.map((r) => <TestResult key={r.id} r={r} />)}</ul>
      <h3>Test log</h3>
      <ul className="tests" aria-label="Test log">{log.map((r) => <TestResult key={r.id} r={r} />)}</ul>
    </div>
  );
}

export default function Sources({ user }) {
  const [sources, setSources] = useState(null);
  const [openId, setOpenId] = useState(null);
  const [error, setError] = useState(null);
  const load = () => gql(SOURCES).then((d) => setSources(d.sources.nodes), (e) => setError(e.message));
  useEffect(() => { load(); }, []);
  const admin = may(user, "ADMIN");
  const open = sources?.find((s) => s.id === openId);

  return (
    <section>
      <h1>Sources</h1>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="columns">
        <div>
          <table className="grid" aria-label="Sources">
            <thead><tr><th>Name</th><th>Type</th><th>Last test</th><th><span className="sr-only">Open</span></th></tr></thead>
            <tbody>
              {sources?.map((s) => (
                <tr key={s.id}>
                  <td>{s.name}</td><td>{s.type}</td>
                  <td>{s.lastTest ? `${s.lastTest.success ? "✓ ok" : "✗ failed"} ${new Date(s.lastTest.at).toLocaleString()}` : "never"}</td>
                  <td><button type="button" onClick={() => setOpenId(s.id)} aria-label={`Open ${s.name}`}>Open</button></td>
                </tr>
              ))}
            </tbody>
          </table>
          {admin ? <SourceForm onSaved={(id) => { load(); setOpenId(id); }} /> : <p className="muted">Registering sources: {needs("ADMIN")}</p>}
        </div>
        {open && <SourceDetail key={open.id} source={open} user={user} onTested={load} onSaved={load} />}
      </div>
    </section>
  );
}
