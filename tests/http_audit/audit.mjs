// Runs the GraphQL-over-HTTP spec's reference server audits (graphql-http's serverAudits)
// against a running Clew and prints one JSON line per audit: {id, name, status, reason}.
// Usage: node tests/http_audit/audit.mjs http://127.0.0.1:PORT/graphql
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "web", "package.json"));
const { auditServer } = require("graphql-http");

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs <graphql url>");
  process.exit(2);
}
const results = await auditServer({ url });
for (const result of results) {
  console.log(
    JSON.stringify({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.status === "ok" ? null : result.reason,
    }),
  );
}
