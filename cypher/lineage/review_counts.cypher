// The whole review queue's counts per level: a sum over the counters of the confidences in
// range (graph_api/store/review_counts.py), read through the review_count_key index, so it
// costs the number of distinct confidences, not the number of pending edges.
UNWIND CASE WHEN $level IS NULL THEN ['FIELD', 'TABLE'] ELSE [$level] END AS level
CALL (level) {
  MATCH (c:ReviewCount)
  WHERE c.level = level AND c.confidence >= $min_confidence AND c.confidence <= $max_confidence
  RETURN coalesce(sum(c.pending), 0) AS edges
}
RETURN level, edges
