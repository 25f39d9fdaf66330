// Approve or reject many edges at once; returns each edge as it was and as it is now. Each
// edge is locked before it is read, so two stewards deciding on the same edge at once see
// each other's decision as `before` (the review queue's counters depend on it).
// $provenance maps each provenance to the one the decision gives (graph_api/lineage_rules.py).
UNWIND $ids AS id
MATCH (a)-[r:FLOWS_TO {id: id}]->(b)
SET r._lock = true
REMOVE r._lock
WITH a, b, r, r {.*, upstream_id: a.id, downstream_id: b.id} AS before
SET r.review_state = $state,
    r.lineage_source = $provenance[r.lineage_source],
    r.reviewed_by = $actor,
    r.reviewed_at = datetime(),
    r.review_comment = $comment,
    r.updated_at = datetime()
RETURN before, r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
