// New edges; reviewed_now marks a steward's decision taken with the declaration (APPROVED).
WITH datetime() AS now
UNWIND $edges AS e
MATCH (a:__NODE__ {id: e.upstream_id}), (b:__NODE__ {id: e.downstream_id})
CREATE (a)-[r:FLOWS_TO]->(b)
SET r = e.props,
    r.reviewed_at = CASE WHEN coalesce(e.reviewed_now, false) THEN now ELSE null END,
    r.created_at = now,
    r.updated_at = now
RETURN r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
