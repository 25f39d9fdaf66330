// The review queue's counts per level, from the lineage_review_queue index alone.
UNWIND CASE WHEN $level IS NULL THEN ['FIELD', 'TABLE'] ELSE [$level] END AS level
CALL (level) {
  MATCH ()-[r:FLOWS_TO]->()
  USING INDEX r:FLOWS_TO(review_state, level, confidence, id)
  WHERE r.review_state = 'PENDING' AND r.level = level
    AND r.confidence >= $min_confidence AND r.confidence <= $max_confidence
    AND r.id IS NOT NULL
  RETURN count(r) AS edges
}
RETURN level, edges
