import { useEffect, useRef, useState } from "react";
import { ApiError, gqlUpload, session, subscribe, unwrap } from "../api.js";
import { may, needs } from "../roles.js";

const JOB_FIELDS = `id status phase fileName dryRun rowsTotal rowsParsed rowsValidated rowsWritten outcome failure
  report {
    outcome errorCount warningCount problemsTruncated
    sections { section rows created updated unchanged kept skipped implied }
    problems(first: 200) { severity code message section row column value suggestion }
  }`;

const IMPORT = `mutation Import($file: Upload!, $dryRun: Boolean!, $mode: ImportMode!, $wait: Boolean!) {
  importCatalog(input: { file: $file, dryRun: $dryRun, mode: $mode, wait: $wait }) {
    __typename
    ... on ImportCatalogSuccess { job { ${JOB_FIELDS} } }
    ... on UserError { code message field }
  }
}`;

const PROGRESS = `subscription Progress($id: ID!) { importJobProgress(id: $id) { ${JOB_FIELDS} } }`;

function Report({ job }) {
  const r = job.report;
  if (!r) return null;
  return (
    <div className="card" aria-label={job.dryRun ? "Preview report" : "Import report"}>
      <h2>{job.dryRun ? "Preview" : "Result"}: {r.outcome ?? job.status}</h2>
      <p><strong>{r.errorCount}</strong> error{r.errorCount === 1 ? "" : "s"}, <strong>{r.warningCount}</strong> warning{r.warningCount === 1 ? "" : "s"}{r.problemsTruncated && " (more than listed)"}</p>
      <table className="grid" aria-label="Sections">
        <thead><tr><th>Sheet</th><th>Rows</th><th>Created</th><th>Updated</th><th>Unchanged</th><th>Kept</th><th>Skipped</th></tr></thead>
        <tbody>{r.sections.map((s) => <tr key={s.section}><td>{s.section}</td><td>{s.rows}</td><td>{s.created}</td><td>{s.updated}</td><td>{s.unchanged}</td><td>{s.kept}</td><td>{s.skipped}</td></tr>)}</tbody>
      </table>
      {r.problems.length > 0 && (
        <table className="grid" aria-label="Problems">
          <thead><tr><th>Severity</th><th>Sheet</th><th>Row</th><th>Column</th><th>Problem</th><th>Suggested fix</th></tr></thead>
          <tbody>
            {r.problems.map((p, i) => (
              <tr key={i} className={p.severity === "ERROR" ? "problem-error" : "problem-warning"}>
                <td>{p.severity === "ERROR" ? "✗ ERROR" : "! WARNING"}</td><td>{p.section ?? "—"}</td><td>{p.row ?? "—"}</td><td>{p.column ?? "—"}</td>
                <td>{p.message}</td><td>{p.suggestion ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

async function download(path, filename) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${session()?.token}` } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new ApiError(body?.error?.message ?? body?.message ?? `The export failed (${response.status}).`);
  }
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export default function Import({ user }) {
  const [file, setFile] = useState(null);
  const [mode, setMode] = useState("ALL_OR_NOTHING");
  const [preview, setPreview] = useState(null);
  const [job, setJob] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const stop = useRef(null);
  useEffect(() => () => stop.current?.(), []);

  async function run(dryRun) {
    setError(null);
    setBusy(true);
    try {
      const result = unwrap((await gqlUpload(IMPORT, { file: null, dryRun, mode, wait: dryRun }, "file", file)).importCatalog);
      if (dryRun) {
        setPreview(result.job);
        setJob(null);
      } else {
        setJob(result.job);
        stop.current?.();
        stop.current = subscribe(PROGRESS, { id: result.job.id }, {
          onData: (d) => setJob(d.importJobProgress),
          onError: (e) => setError(e.message),
        });
      }
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  const editor = may(user, "EDITOR");
  const total = job?.rowsTotal || 0;
  const done = job ? (job.status === "SUCCEEDED" || job.status === "FAILED" ? total : job.rowsValidated) : 0;
  const canApply = preview && preview.report && preview.report.errorCount === 0;
  return (
    <section>
      <h1>Import and export</h1>
      <p className="row">
        <a className="button" href="/export/template.xlsx" download>Download the template (.xlsx)</a>
        <button type="button" onClick={() => download("/export?format=xlsx", "clew-catalog.xlsx").catch((e) => setError(e.message))}>Export the catalog (.xlsx)</button>
        <button type="button" onClick={() => download("/export?format=json", "clew-catalog.json").catch((e) => setError(e.message))}>Export (.json)</button>
      </p>
      {editor ? (
        <form className="card" aria-label="Import a file" onSubmit={(e) => { e.preventDefault(); run(true); }}>
          <label>File (.xlsx, .csv, .zip, .json, .yaml)
            <input type="file" accept=".xlsx,.csv,.zip,.json,.yaml,.yml" onChange={(e) => { setFile(e.target.files[0] ?? null); setPreview(null); setJob(null); }} />
          </label>
          <label>When a row has an error
            <select value={mode} onChange={(e) => setMode(e.target.value)}>
              <option value="ALL_OR_NOTHING">import nothing (all or nothing)</option>
              <option value="SKIP_INVALID">skip the invalid rows</option>
            </select>
          </label>
          <div className="row">
            <button type="submit" disabled={!file || busy}>Preview</button>
            <button type="button" disabled={!file || busy || !(canApply || mode === "SKIP_INVALID")} title={canApply ? "" : "Preview first; apply when it shows no errors (or choose to skip invalid rows)."} onClick={() => run(false)}>Apply</button>
          </div>
        </form>
      ) : <p className="muted">Importing: {needs("EDITOR")}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {job && (
        <div className="card" aria-label="Progress">
          <h2>Import {job.status.toLowerCase()}</h2>
          <label>Progress ({job.phase.toLowerCase()}): {done} of {total || "?"} rows, {job.rowsWritten} written
            <progress max={total || 1} value={done} aria-label="Import progress" />
          </label>
          {job.failure && <p className="error" role="alert">{job.failure}</p>}
        </div>
      )}
      {job?.report ? <Report job={job} /> : preview && <Report job={preview} />}
    </section>
  );
}
