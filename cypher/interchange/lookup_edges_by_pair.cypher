// Lineage edges of one level between (upstream, downstream) pairs, for the import's planner.
UNWIND $pairs AS pair
MATCH (a:__NODE__ {id: pair.upstream_id})-[r:FLOWS_TO]->(b:__NODE__ {id: pair.downstream_id})
RETURN r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
