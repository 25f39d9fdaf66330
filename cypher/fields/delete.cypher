// Deletes a field and its lineage; returns the field and edges as they were (each edge read
// under its lock, for the audit trail and the review queue's counters), and the
// (upstream, downstream) table pairs those edges ran between, so implied table edges can be
// brought up to date.
MATCH (f:Field {id: $id})
OPTIONAL MATCH (f)-[r:FLOWS_TO]-(other:Field)
SET r._lock = true
REMOVE r._lock
WITH f, f {.*} AS field,
     collect(DISTINCT r {.*, upstream_id: startNode(r).id, downstream_id: endNode(r).id}) AS edges,
     collect(DISTINCT CASE WHEN startNode(r) = f THEN [f.table_id, other.table_id]
                           ELSE [other.table_id, f.table_id] END) AS pairs
DETACH DELETE f
WITH field, edges, pairs
CALL (edges) {
  // The origins' assertions of the edges that went.
  UNWIND edges AS e
  MATCH (s:Assertion {edge_id: e.id})
  DELETE s
}
RETURN field, edges, [e IN edges | e.id] AS lineage_ids, pairs
