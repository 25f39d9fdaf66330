// Deletes a table, its fields, every lineage edge touching either and the assertions of those
// edges; returns what went, as it was (each edge read under its lock), for the result, the
// audit trail and the review queue's counters.
MATCH (t:Table {id: $id})
OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
WITH t, collect(f) AS fields
CALL (t, fields) {
  UNWIND [t] + fields AS n
  OPTIONAL MATCH (n)-[r:FLOWS_TO]-()
  WITH DISTINCT r WHERE r IS NOT NULL
  SET r._lock = true
  REMOVE r._lock
  RETURN collect(r {.*, upstream_id: startNode(r).id, downstream_id: endNode(r).id}) AS edges
}
WITH t, fields, edges, t {.*} AS table, [f IN fields | f {.*}] AS field_rows
FOREACH (f IN fields | DETACH DELETE f)
DETACH DELETE t
WITH table, field_rows, edges
CALL (edges) {
  // The origins' assertions of the edges that went.
  UNWIND edges AS e
  MATCH (s:Assertion {edge_id: e.id})
  DELETE s
}
RETURN table, field_rows AS fields, [f IN field_rows | f.id] AS field_ids,
       edges, [e IN edges | e.id] AS lineage_ids
