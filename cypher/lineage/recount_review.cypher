// Rebuilds the review queue's counters from the pending edges (`clew recount-review`, and
// migration 015 the first time). Every counter is locked first, in the order writers lock
// them, so a writer's change either lands before this reads the edges or waits for it.
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
