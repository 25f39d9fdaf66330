import { href } from "../route.js";

// Evidence keys in the order a steward reads them, in words; other keys follow as they are.
const LABELS = [
  ["expression", "Expression"],
  ["statementFingerprint", "Statement fingerprint"],
  ["statement", "Statement"],
  ["line", "Line"],
  ["dialect", "Dialect"],
  ["uniqueId", "dbt unique_id"],
  ["dependsOn", "Depends on"],
  ["project", "dbt project"],
  ["job", "Job"],
  ["runId", "Run id"],
  ["eventTime", "Event time"],
  ["facet", "Facet"],
  ["transformations", "Transformations"],
  ["file", "File"],
];
const KNOWN = new Map(LABELS);
const RANK = new Map(LABELS.map(([key], i) => [key, i]));

// A SQL statement's place in its text and its dialect read as one line.
function ordered(evidence) {
  const by = Object.fromEntries(evidence.map((e) => [e.key, e.value]));
  const where = by.statement && [`no. ${by.statement}`, by.line && `line ${by.line}`, by.dialect && `${by.dialect} dialect`].filter(Boolean).join(", ");
  return evidence
    .filter((e) => e.key !== "sql" && !(where && ["line", "dialect"].includes(e.key)))
    .map((e) => (e.key === "statement" && where ? { key: e.key, value: where } : e))
    .sort((a, b) => (RANK.get(a.key) ?? LABELS.length) - (RANK.get(b.key) ?? LABELS.length) || a.key.localeCompare(b.key));
}

export function originKind(kind) {
  return { SQL: "SQL text", DBT: "dbt project", OPENLINEAGE: "OpenLineage job", VIEW: "view definition", IMPORT: "import file", PERSON: "person" }[kind] ?? kind;
}

// Which origins assert an edge, each with its evidence (the SQL itself folded away).
export default function Assertions({ assertions, linkToReview = false }) {
  if (!assertions.length) return <p className="muted small">No origin asserts it any more.</p>;
  return (
    <ul className="assertions" aria-label="Origins and evidence">
      {assertions.map((a) => {
        const sql = a.evidence.find((e) => e.key === "sql");
        return (
          <li key={a.origin.id}>
            <span className="origin-name">{a.origin.label}</span>
            <span className="badge">{originKind(a.origin.kind)}</span>
            {a.origin.trusted && <span className="badge">trusted</span>}
            {linkToReview && <> <a className="small" href={href("review", null, { origin: a.origin.id })}>review what it asserts</a></>}
            {!a.evidence.length && (
              <p className="muted small">{a.origin.kind === "PERSON" ? "Declared by hand through the API; no evidence recorded." : "No evidence recorded."}</p>
            )}
            {a.evidence.length > 0 && <dl className="evidence">
              {ordered(a.evidence).map((e) => (
                <div key={e.key}><dt>{KNOWN.get(e.key) ?? e.key}</dt><dd><code>{e.value}</code></dd></div>
              ))}
            </dl>}
            {sql && (
              <details>
                <summary>SQL it was read from</summary>
                <pre>{sql.value}</pre>
              </details>
            )}
          </li>
        );
      })}
    </ul>
  );
}
