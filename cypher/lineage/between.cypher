// Existing edges between given (upstream, downstream) pairs of one level.
UNWIND $pairs AS pair
MATCH (a:__NODE__ {id: pair.upstream_id})-[r:FLOWS_TO]->(b:__NODE__ {id: pair.downstream_id})
RETURN r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
