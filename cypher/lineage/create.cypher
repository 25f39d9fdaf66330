WITH datetime() AS now
UNWIND $edges AS e
MATCH (a:__NODE__ {id: e.upstream_id}), (b:__NODE__ {id: e.downstream_id})
CREATE (a)-[r:FLOWS_TO]->(b)
SET r = e.props,
    r.created_at = now,
    r.updated_at = now
RETURN r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
