UNWIND $edges AS e
MATCH (a)-[r:FLOWS_TO {id: e.id}]->(b)
SET r += e.props, r.updated_at = datetime()
RETURN r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
