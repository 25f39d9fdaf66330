// Edges an import changes; each is locked before it is read, and returned as it was and as it
// is, for the review queue's counters.
UNWIND $rows AS row
MATCH ()-[r:FLOWS_TO {id: row.id}]->()
SET r._lock = true
REMOVE r._lock
WITH row, r, r {.id, .level, .confidence, .review_state} AS before
SET r += row.props,
    r.reviewed_at = CASE WHEN row.reviewed_now THEN datetime()
                         WHEN row.reviewed_at IS NOT NULL THEN datetime(row.reviewed_at)
                         ELSE r.reviewed_at END,
    r.updated_at = datetime()
RETURN collect(before) AS before, collect(r {.id, .level, .confidence, .review_state}) AS after
