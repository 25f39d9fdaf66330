import { useEffect, useState } from "react";
import { gql, unwrap } from "../api.js";
import { href } from "../route.js";
import { may, needs } from "../roles.js";
import FetchColumns from "./FetchColumns.jsx";

const TABLE = `query TablePage($id: ID!) {
  table(id: $id) {
    id name schema qualifiedName kind description tags isManual createdAt updatedAt
    source { id name type }
    fields { id name dataType nullable primaryKey ordinalPosition generated description tags }
    history(first: 50) {
      totalCount
      nodes { id entityType entityId action actor at comment before after }
    }
  }
}`;

const UPDATE_FIELD = `mutation UpdateField($id: ID!, $input: UpdateFieldInput!) {
  updateField(id: $id, input: $input) {
    __typename
    ... on FieldSuccess { field { id } }
    ... on UserError { code message inputPath: field }
  }
}`;

function FieldRow({ field, editable, onSaved }) {
  const [editing, setEditing] = useState(false);
  const [description, setDescription] = useState(field.description ?? "");
  const [tags, setTags] = useState(field.tags.join(", "));
  const [error, setError] = useState(null);

  async function save(event) {
    event.preventDefault();
    try {
      unwrap((await gql(UPDATE_FIELD, { id: field.id, input: { description: description || null, tags: tags.split(",").map((t) => t.trim()).filter(Boolean) } })).updateField);
      setEditing(false);
      setError(null);
      onSaved();
    } catch (e) {
      setError(e.message);
    }
  }

  return (
    <tr>
      <td>{field.primaryKey && <span className="badge" title="Primary key">PK</span>} <strong>{field.name}</strong></td>
      <td><code>{field.dataType ?? "—"}</code>{field.generated && <div className="muted small">{field.generated}</div>}</td>
      <td>{field.nullable ? "nullable" : "NOT NULL"}</td>
      <td>
        {editing ? (
          <form onSubmit={save} className="inline" aria-label={`Edit ${field.name}`}>
            <label>Description <input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
            <label>Tags <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="comma separated" /></label>
            <button type="submit">Save</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
            {error && <span className="error" role="alert">{error}</span>}
          </form>
        ) : (
          field.description ?? <span className="muted">no description</span>
        )}
      </td>
      <td>{field.tags.map((t) => <span key={t} className="tag">{t}</span>)}</td>
      <td>
        <button type="button" disabled={!editable} title={editable ? "" : needs("EDITOR")} onClick={() => setEditing(true)} aria-label={`Edit field ${field.name}`}>Edit</button>
      </td>
    </tr>
  );
}

// Table.history holds the table's changes and its fields' (deleted fields too).
function withSubjects(table) {
  const names = Object.fromEntries(table.fields.map((f) => [f.id, f.name]));
  const nodes = table.history.nodes.map((c) => ({
    ...c,
    what: c.entityType === "FIELD" ? `field ${names[c.entityId] ?? c.before?.name ?? c.after?.name ?? c.entityId}` : "table",
  }));
  return { nodes, totalCount: table.history.totalCount };
}

export default function TablePage({ id, user }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const load = () =>
    gql(TABLE, { id })
      .then((d) => ({ ...d, history: d.table ? withSubjects(d.table) : null }))
      .then(setData, (e) => setError(e.message));
  useEffect(() => { load(); }, [id]);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!data) return <p className="muted">Loading…</p>;
  const t = data.table;
  if (!t) return <p className="error" role="alert">No table with id {id}; it may have been deleted.</p>;
  const editable = may(user, "EDITOR");

  return (
    <section>
      <p><a href={href("catalog")}>← Catalog</a></p>
      <h1>{t.qualifiedName} <span className="badge">{t.kind}</span></h1>
      <p>{t.description ?? <span className="muted">No description.</span>}</p>
      <p>
        {t.tags.map((g) => <span key={g} className="tag">{g}</span>)}{" "}
        Source: {t.source ? <strong>{t.source.name} ({t.source.type})</strong> : <em>manual table, documented by hand</em>}
      </p>
      <p className="row">
        <a className="button" href={href("lineage", t.id, { dir: "BOTH", depth: 1 })}>Open lineage</a>
        <a className="button" href={href("lineage", t.id, { dir: "DOWNSTREAM", depth: 3, impact: "DROP" })}>Impact of a change</a>
      </p>
      <h2>Fields</h2>
      <table className="grid" aria-label="Fields">
        <thead><tr><th>Name</th><th>Type</th><th>Null</th><th>Description</th><th>Tags</th><th><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {t.fields.map((f) => <FieldRow key={f.id} field={f} editable={editable} onSaved={load} />)}
        </tbody>
      </table>
      {!editable && <p className="muted small">Editing fields: {needs("EDITOR")}</p>}
      {t.source && <FetchColumns table={t} editable={editable} onApplied={load} />}
      <h2>History</h2>
      <ol className="history" aria-label="History">
        {data.history.nodes.map((c) => (
          <li key={c.id}>
            <time dateTime={c.at}>{new Date(c.at).toLocaleString()}</time> <strong>{c.action}</strong> {c.what} by {c.actor}
            {c.comment && <> — {c.comment}</>}
            {c.after && <details><summary>Details</summary><pre>{JSON.stringify({ before: c.before, after: c.after }, null, 2)}</pre></details>}
          </li>
        ))}
      </ol>
      {data.history.totalCount > data.history.nodes.length && <p className="muted">Showing {data.history.nodes.length} of {data.history.totalCount} changes (the newest 50).</p>}
    </section>
  );
}
