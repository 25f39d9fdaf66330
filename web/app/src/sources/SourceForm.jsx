import { useState } from "react";
import { gql, unwrap } from "../api.js";

const CREATE = `mutation CreateSource($input: CreateSourceInput!) {
  createSource(input: $input) {
    __typename
    ... on SourceSuccess { source { id name } }
    ... on UserError { code message field }
  }
}`;

const UPDATE = `mutation UpdateSource($id: ID!, $input: UpdateSourceInput!) {
  updateSource(id: $id, input: $input) {
    __typename
    ... on SourceSuccess { source { id name } }
    ... on UserError { code message field }
  }
}`;

// A form per database type: the fields each kind of database needs, with its usual port.
export const TYPES = {
  POSTGRESQL: { port: 5432, fields: ["host", "port", "database", "username", "password"] },
  MYSQL: { port: 3306, fields: ["host", "port", "database", "username", "password"] },
  ORACLE: { port: 1521, fields: ["host", "port", "serviceName", "username", "password"] },
  MONGODB: { port: 27017, fields: ["host", "port", "database", "username", "password"] },
  ELASTICSEARCH: { port: 9200, fields: ["host", "port", "username", "password", "apiKey"] },
};
const LABELS = { host: "Host", port: "Port", database: "Database", serviceName: "Service name", username: "Username", password: "Password", apiKey: "API key" };
const SECRETS = new Set(["password", "apiKey"]);

function initial(source) {
  if (!source) return { host: "127.0.0.1", port: "5432" };
  const c = source.connection;
  return Object.fromEntries(Object.entries({ host: c.host, port: c.port, database: c.database, serviceName: c.serviceName, username: c.username })
    .filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, String(v)]));
}

// Registers a source, or (given `source`) changes one. Secrets are write-only: the form never
// holds a stored one; a secret left empty keeps the stored one, "Remove" clears it.
export default function SourceForm({ source, onSaved, onCancel }) {
  const editing = !!source;
  const [type, setType] = useState(source?.type ?? "POSTGRESQL");
  const [name, setName] = useState(source?.name ?? "");
  const [description, setDescription] = useState(source?.description ?? "");
  const [values, setValues] = useState(() => initial(source));
  const [remove, setRemove] = useState({});
  const [error, setError] = useState(null);
  const isSet = (f) => !!source?.connection[`${f}Set`];

  async function submit(event) {
    event.preventDefault();
    setError(null);
    const connection = {};
    for (const f of TYPES[type].fields) {
      const v = values[f];
      if (SECRETS.has(f)) {
        if (remove[f]) connection[f] = null;
        else if (v) connection[f] = v;
      } else if (v) connection[f] = f === "port" ? Number(v) : v;
      else if (editing && initial(source)[f] !== undefined) connection[f] = null;
    }
    try {
      const result = editing
        ? unwrap((await gql(UPDATE, { id: source.id, input: { name, description: description || null, connection } })).updateSource)
        : unwrap((await gql(CREATE, { input: { name, type, description: description || null, connection } })).createSource);
      if (!editing) { setName(""); setValues(initial(null)); }
      else setValues((vs) => ({ ...vs, password: "", apiKey: "" }));
      onSaved(result.source.id);
    } catch (e) {
      setError(e.message);
    }
  }

  const title = editing ? `Edit ${source.name}` : "Register a source";
  return (
    <form onSubmit={submit} className="card" aria-label={title}>
      <h2>{title}</h2>
      <label>Type
        <select value={type} disabled={editing} onChange={(e) => { setType(e.target.value); setValues({ ...values, port: String(TYPES[e.target.value].port) }); }}>
          {Object.keys(TYPES).map((t) => <option key={t}>{t}</option>)}
        </select>
      </label>
      <label>Name <input value={name} onChange={(e) => setName(e.target.value)} required /></label>
      <label>Description <input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
      {TYPES[type].fields.map((f) => (
        <div key={f} className="field">
          <label>{LABELS[f]}
            <input
              type={SECRETS.has(f) ? "password" : f === "port" ? "number" : "text"}
              autoComplete={SECRETS.has(f) ? "new-password" : "off"}
              value={values[f] ?? ""}
              disabled={!!remove[f]}
              placeholder={SECRETS.has(f) && isSet(f) ? "stored; leave empty to keep it" : ""}
              aria-describedby={SECRETS.has(f) && editing ? `${f}-state` : undefined}
              onChange={(e) => setValues({ ...values, [f]: e.target.value })}
            />
          </label>
          {SECRETS.has(f) && editing && (
            <span id={`${f}-state`} className="muted small">
              {isSet(f) ? "A value is stored (never shown). " : "Not set. "}
              {isSet(f) && <label className="inline-check"><input type="checkbox" checked={!!remove[f]} onChange={(e) => setRemove({ ...remove, [f]: e.target.checked })} /> Remove the stored {LABELS[f].toLowerCase()}</label>}
            </span>
          )}
        </div>
      ))}
      {error && <p className="error" role="alert">{error}</p>}
      <p className="row">
        <button type="submit">{editing ? "Save changes" : "Save source"}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </p>
    </form>
  );
}
