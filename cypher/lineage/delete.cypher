// Deletes edges and the origins' assertions of them (their history stays in the audit trail).
// Each edge is locked before it is read, so what it returns is what went.
UNWIND $ids AS id
MATCH (a)-[r:FLOWS_TO {id: id}]->(b)
SET r._lock = true
REMOVE r._lock
WITH id, r, r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
DELETE r
WITH id, edge
CALL (id) {
  MATCH (s:Assertion {edge_id: id})
  DELETE s
}
RETURN edge
