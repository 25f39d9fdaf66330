UNWIND $ids AS id
MATCH (a)-[r:FLOWS_TO {id: id}]->(b)
WITH r, r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
DELETE r
RETURN edge
