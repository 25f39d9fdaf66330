// Lineage edges by id, whatever their level, for the import's planner.
UNWIND $ids AS id
MATCH (a)-[r:FLOWS_TO {id: id}]->(b)
RETURN r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
