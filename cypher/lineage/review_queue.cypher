// One page of pending lineage, lowest confidence first, then by id, after the cursor
// ($confidence, $id): per level, two seeks of the lineage_review_queue index (the rest of the
// cursor's confidence, then the confidences above it), each stopping at $limit rows, so a
// page costs what it returns however long the queue. The first page passes
// $confidence = $min_confidence and $id = ''.
UNWIND CASE WHEN $level IS NULL THEN ['FIELD', 'TABLE'] ELSE [$level] END AS level
CALL (level) {
  MATCH ()-[r:FLOWS_TO]->()
  USING INDEX r:FLOWS_TO(review_state, level, confidence, id)
  WHERE r.review_state = 'PENDING' AND r.level = level
    AND r.confidence = $confidence AND r.id > $id AND r.confidence <= $max_confidence
  RETURN r ORDER BY r.review_state, r.level, r.confidence, r.id LIMIT $limit
  UNION
  MATCH ()-[r:FLOWS_TO]->()
  USING INDEX r:FLOWS_TO(review_state, level, confidence, id)
  WHERE r.review_state = 'PENDING' AND r.level = level
    AND r.confidence > $confidence AND r.confidence <= $max_confidence AND r.id IS NOT NULL
  RETURN r ORDER BY r.review_state, r.level, r.confidence, r.id LIMIT $limit
}
WITH r ORDER BY r.confidence, r.id LIMIT $limit
MATCH (a)-[r]->(b)
RETURN r {.*, upstream_id: a.id, downstream_id: b.id} AS edge
