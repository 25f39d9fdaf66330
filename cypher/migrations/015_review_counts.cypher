// The review queue's counters (graph_api/store/review_counts.py): one node per level and
// confidence, kept by every writer of lineage in the same transaction, so the whole queue's
// counts are a sum over them instead of a walk over every pending edge.
CREATE CONSTRAINT review_count_key IF NOT EXISTS
FOR (c:ReviewCount) REQUIRE (c.level, c.confidence) IS UNIQUE;

// The counters of the edges written before this migration: the statement of
// cypher/lineage/recount_review.cypher (`clew recount-review`), as it was when this was written.
CALL () {
  MATCH (c:ReviewCount)
  WITH c ORDER BY c.level, c.confidence
  SET c.pending = 0
}
CALL () {
  MATCH ()-[r:FLOWS_TO]->()
  USING INDEX r:FLOWS_TO(review_state, level, confidence, id)
  WHERE r.review_state = 'PENDING' AND r.level IS NOT NULL AND r.confidence IS NOT NULL
    AND r.id IS NOT NULL
  WITH r.level AS level, r.confidence AS confidence, count(*) AS pending
  ORDER BY level, confidence
  MERGE (c:ReviewCount {level: level, confidence: confidence})
  SET c.pending = pending
  RETURN sum(pending) AS pending
}
RETURN coalesce(pending, 0) AS pending
