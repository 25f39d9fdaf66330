// Approve or reject many edges at once; returns each edge as it was and as it is now.
UNWIND $ids AS id
MATCH (a)-[r:FLOWS_TO {id: id}]->(b)
WITH a, b, r, r {.*, upstream_id: a.id, downstream_id: b.id} AS before
SET r.review_state = $state,
    r.lineage_source = CASE WHEN $state = 'APPROVED' THEN 'APPROVED' ELSE r.lineage_source END,
    r.reviewed_by = $actor,
    r.reviewed_at = datetime(),
    r.review_comment = $comment,
    r.updated_at = datetime()
RETURN before, r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
