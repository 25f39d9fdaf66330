import { useState } from "react";
import { gql, unwrap } from "../api.js";

const INTROSPECT = `query FetchColumns($sourceId: ID!, $name: String!, $schema: String) {
  introspectTable(sourceId: $sourceId, tableName: $name, schemaName: $schema) {
    name schema kind comment notes
    columns { name dataType nullable primaryKey ordinalPosition comment generated }
    columnsAdded columnsRemoved columnsChanged { name changes }
  }
}`;

const APPLY = `mutation ApplyColumns($sourceId: ID!, $input: IntrospectedTableInput!) {
  createTableFromIntrospection(sourceId: $sourceId, input: $input) {
    __typename
    ... on ApplyIntrospectionSuccess { fields { id } removedFields }
    ... on UserError { code message field }
  }
}`;

const ATTRIBUTE = { dataType: "type", nullable: "nullable", primaryKey: "primary key", ordinalPosition: "position", generated: "generated" };
const shown = (v) => (v === null || v === undefined ? "—" : String(v));

// "Fetch columns": read the table's definition from its source, show what differs from the
// catalog (added, removed, changed columns), and apply it only when the editor says so.
// Descriptions and tags people wrote are kept by the server.
export default function FetchColumns({ table, editable, onApplied }) {
  const [fetched, setFetched] = useState(null);
  const [removeMissing, setRemoveMissing] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [applied, setApplied] = useState(null);

  async function fetchColumns() {
    setBusy(true); setError(null); setApplied(null);
    try {
      setFetched((await gql(INTROSPECT, { sourceId: table.source.id, name: table.name, schema: table.schema })).introspectTable);
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  async function apply() {
    setBusy(true); setError(null);
    const kept = Object.fromEntries(table.fields.map((f) => [f.name, f]));
    const fields = fetched.columns.map((c) => ({
      name: c.name, dataType: c.dataType, nullable: c.nullable, primaryKey: c.primaryKey, ordinalPosition: c.ordinalPosition, generated: c.generated,
      description: kept[c.name]?.description ?? c.comment, tags: kept[c.name]?.tags ?? [],
    }));
    try {
      const result = unwrap((await gql(APPLY, { sourceId: table.source.id, input: {
        name: fetched.name, schema: fetched.schema, kind: fetched.kind, description: table.description ?? fetched.comment,
        tags: table.tags, fields, removeMissingColumns: removeMissing,
      } })).createTableFromIntrospection);
      setApplied(result);
      setFetched(null);
      onApplied();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  const changed = new Map((fetched?.columnsChanged ?? []).map((d) => [d.name, d.changes]));
  const added = new Set(fetched?.columnsAdded ?? []);
  const same = fetched && !added.size && !changed.size && !fetched.columnsRemoved.length;
  return (
    <section className="card" aria-label="Fetch columns">
      <h2>Columns in {table.source.name}</h2>
      <p className="row">
        <button type="button" onClick={fetchColumns} disabled={!editable || busy} title={editable ? "" : "Needs the EDITOR role or higher."}>{busy && !fetched ? "Fetching…" : "Fetch columns"}</button>
        <span className="muted small">Reads the table from the database; nothing changes until you apply.</span>
      </p>
      {error && <p className="error" role="alert">{error}</p>}
      {applied && <p role="status">Applied: {applied.fields.length} columns{applied.removedFields.length ? `, removed ${applied.removedFields.join(", ")}` : ""}.</p>}
      {fetched && (
        <>
          <p role="status" data-testid="column-summary">
            {same ? "The catalog matches the database." : `${added.size} added, ${fetched.columnsRemoved.length} removed, ${changed.size} changed.`}
          </p>
          <table className="grid" aria-label="Column differences">
            <thead><tr><th>Change</th><th>Column</th><th>Catalog</th><th>Database</th></tr></thead>
            <tbody>
              {fetched.columns.map((c) => {
                const diff = changed.get(c.name);
                const kind = added.has(c.name) ? "added" : diff ? "changed" : "same";
                return (
                  <tr key={c.name} className={`diff-${kind}`}>
                    <td>{kind === "added" ? "+ added" : kind === "changed" ? "~ changed" : "unchanged"}</td>
                    <td><strong>{c.name}</strong></td>
                    <td>{kind === "added" ? "—" : diff ? Object.entries(diff).map(([k, v]) => <div key={k}>{ATTRIBUTE[k] ?? k}: {shown(v.catalog)}</div>) : <code>{c.dataType}</code>}</td>
                    <td>{diff ? Object.entries(diff).map(([k, v]) => <div key={k}>{ATTRIBUTE[k] ?? k}: {shown(v.database)}</div>) : <code>{c.dataType}</code>}</td>
                  </tr>
                );
              })}
              {fetched.columnsRemoved.map((name) => (
                <tr key={name} className="diff-removed"><td>− removed</td><td><strong>{name}</strong></td><td>in the catalog</td><td>—</td></tr>
              ))}
            </tbody>
          </table>
          {fetched.notes.map((n) => <p key={n} className="muted small">{n}</p>)}
          <p className="row">
            <label className="inline-check"><input type="checkbox" checked={removeMissing} onChange={(e) => setRemoveMissing(e.target.checked)} /> Remove columns the database no longer has</label>
            <button type="button" onClick={apply} disabled={busy || same}>Apply these columns</button>
            <button type="button" onClick={() => setFetched(null)}>Discard</button>
          </p>
        </>
      )}
    </section>
  );
}
