import { useEffect, useState } from "react";
import { gql } from "../api.js";
import { useLatest } from "../latest.js";
import { href, navigate } from "../route.js";

const SEARCH = `query Search($q: String!) {
  search(query: $q, limit: 50) {
    score
    node {
      __typename
      ... on Table { id qualifiedName kind description tags source { name } }
      ... on Field { id name dataType description table { id qualifiedName } }
    }
  }
}`;

const TABLES = `query Tables($first: Int, $after: String, $kind: TableKind, $tags: [String!], $sourceId: ID, $schema: String) {
  tables(first: $first, after: $after, kind: $kind, tags: $tags, sourceId: $sourceId, schema: $schema) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id schema qualifiedName kind description tags source { id name } }
  }
  sources(first: 100) { nodes { id name } }
  tableSchemas(sourceId: $sourceId) { name tableCount }
  kinds: __type(name: "TableKind") { enumValues { name } }
}`;
const PAGE = 25;

export default function Catalog({ params }) {
  const q = params.get("q") || "";
  const kind = params.get("kind") || "";
  const tag = params.get("tag") || "";
  const sourceId = params.get("source") || "";
  const schema = params.get("schema") || "";
  const [text, setText] = useState(q);
  const [hits, setHits] = useState(null);
  const [page, setPage] = useState(null);
  const [cursors, setCursors] = useState([null]);
  const [error, setError] = useState(null);

  const latest = useLatest();

  useEffect(() => {
    setError(null);
    const show = latest();
    if (q) {
      gql(SEARCH, { q }).then(show((d) => setHits(d.search)), show((e) => setError(e.message)));
    } else {
      setHits(null);
      gql(TABLES, { first: PAGE, after: cursors[cursors.length - 1], kind: kind || null, tags: tag ? [tag] : null, sourceId: sourceId || null, schema: schema || null })
        .then(show(setPage), show((e) => setError(e.message)));
    }
  }, [q, kind, tag, sourceId, schema, cursors]);

  const set = (changes) => { setCursors([null]); navigate("catalog", null, { q, kind, tag, source: sourceId, schema, ...changes }); };

  return (
    <section>
      <h1>Catalog</h1>
      <form role="search" onSubmit={(e) => { e.preventDefault(); set({ q: text.trim() }); }}>
        <label htmlFor="catalog-search">Search tables and fields</label>
        <div className="row">
          <input id="catalog-search" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="e.g. customer email" />
          <button type="submit">Search</button>
          {q && <button type="button" onClick={() => { setText(""); set({ q: "" }); }}>Browse all</button>}
        </div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {hits && (
        <>
          <p className="muted">{hits.length} result{hits.length === 1 ? "" : "s"} for “{q}”, most relevant first</p>
          <ul className="results" aria-label="Search results">
            {hits.map(({ node, score }) => (
              <li key={node.id}>
                {node.__typename === "Table" ? (
                  <a href={href("table", node.id)}><strong>{node.qualifiedName}</strong></a>
                ) : (
                  <a href={href("table", node.table.id)}><strong>{node.table.qualifiedName}.{node.name}</strong></a>
                )}
                <span className="badge">{node.__typename === "Table" ? node.kind : `field ${node.dataType ?? ""}`}</span>
                <span className="muted small"> score {score.toFixed(2)}</span>
                {node.description && <div className="muted">{node.description}</div>}
              </li>
            ))}
          </ul>
        </>
      )}
      {!hits && page && (
        <>
          <div className="row filters">
            <label>Kind
              <select value={kind} onChange={(e) => set({ kind: e.target.value })}>
                <option value="">any</option>
                {(page?.kinds?.enumValues ?? []).map(({ name }) => <option key={name}>{name}</option>)}
              </select>
            </label>
            <label>Source
              <select value={sourceId} onChange={(e) => set({ source: e.target.value })}>
                <option value="">any</option>
                {page.sources.nodes.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
              </select>
            </label>
            <label>Schema
              <select value={schema} onChange={(e) => set({ schema: e.target.value })}>
                <option value="">any</option>
                {schema && !page.tableSchemas.some((s) => s.name === schema) && <option value={schema}>{schema} (0 tables)</option>}
                {page.tableSchemas.map((s) => <option key={s.name} value={s.name}>{s.name} ({s.tableCount} table{s.tableCount === 1 ? "" : "s"})</option>)}
              </select>
            </label>
            <label>Tag
              <input value={tag} onChange={(e) => set({ tag: e.target.value })} placeholder="any" />
            </label>
          </div>
          <table className="grid" aria-label="Tables">
            <thead><tr><th>Table</th><th>Schema</th><th>Kind</th><th>Source</th><th>Tags</th><th>Description</th></tr></thead>
            <tbody>
              {page.tables.nodes.map((t) => (
                <tr key={t.id}>
                  <td><a href={href("table", t.id)}>{t.qualifiedName}</a></td>
                  <td>{t.schema ? <a href={href("catalog", null, { schema: t.schema })}>{t.schema}</a> : <span className="muted">none</span>}</td>
                  <td>{t.kind}</td>
                  <td>{t.source?.name ?? <span className="muted">manual</span>}</td>
                  <td>{t.tags.map((g) => <span key={g} className="tag">{g}</span>)}</td>
                  <td>{t.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row">
            <span className="muted">{page.tables.totalCount} tables</span>
            <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>Previous page</button>
            <button type="button" disabled={!page.tables.pageInfo.hasNextPage} onClick={() => setCursors([...cursors, page.tables.pageInfo.endCursor])}>Next page</button>
          </div>
        </>
      )}
    </section>
  );
}
