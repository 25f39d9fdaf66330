// Which of the given ids anything in Clew already has (ids a file asks to create with): ids are
// unique across every kind, since the audit trail keys histories by id alone.
UNWIND $ids AS id
OPTIONAL MATCH (s:Source {id: id})
OPTIONAL MATCH (t:Table {id: id})
OPTIONAL MATCH (f:Field {id: id})
OPTIONAL MATCH ()-[r:FLOWS_TO {id: id}]->()
OPTIONAL MATCH (u:User {id: id})
OPTIONAL MATCH (k:ApiToken {id: id})
OPTIONAL MATCH (j:ImportJob {id: id})
OPTIONAL MATCH (c:ConnectionTest {id: id})
WITH id, CASE WHEN s IS NOT NULL THEN 'SOURCE' WHEN t IS NOT NULL THEN 'TABLE'
              WHEN f IS NOT NULL THEN 'FIELD' WHEN r IS NOT NULL THEN 'LINEAGE'
              WHEN u IS NOT NULL THEN 'USER' WHEN k IS NOT NULL THEN 'API_TOKEN'
              WHEN j IS NOT NULL THEN 'IMPORT_JOB' WHEN c IS NOT NULL THEN 'CONNECTION_TEST'
         END AS kind
WHERE kind IS NOT NULL
RETURN DISTINCT id, kind
