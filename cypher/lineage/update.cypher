// Changes to edges; reviewed_now marks a steward's decision taken with the change, and a
// null in props removes that property (a verdict that no longer describes the edge). Each
// edge is locked before it is read, so `before` is what this change replaces (the review
// queue's counters depend on it).
UNWIND $edges AS e
MATCH (a)-[r:FLOWS_TO {id: e.id}]->(b)
SET r._lock = true
REMOVE r._lock
WITH a, b, r, e, r {.*, upstream_id: a.id, downstream_id: b.id} AS before
SET r += e.props,
    r.reviewed_at = CASE WHEN coalesce(e.reviewed_now, false) THEN datetime() ELSE r.reviewed_at END,
    r.updated_at = datetime()
RETURN before, r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
