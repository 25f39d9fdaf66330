// Every assertion of one origin, with the edge it asserts (null when the edge is gone).
MATCH (s:Assertion {origin_id: $origin_id})
OPTIONAL MATCH (a)-[r:FLOWS_TO {id: s.edge_id}]->(b)
RETURN s {.*} AS assertion,
       CASE WHEN r IS NULL THEN null ELSE r {.*, upstream_id: a.id, downstream_id: b.id} END AS edge
