// Pending edges, lowest confidence first (the ones most worth a look), then by id. With
// $origin_id, only the edges that origin asserts, found through its assertions.
CALL () {
  WITH 1 AS one WHERE $origin_id IS NULL
  MATCH (a)-[r:FLOWS_TO {review_state: 'PENDING'}]->(b)
  RETURN a, r, b
  UNION ALL
  WITH 1 AS one WHERE $origin_id IS NOT NULL
  MATCH (s:Assertion {origin_id: $origin_id})
  MATCH (a)-[r:FLOWS_TO {id: s.edge_id}]->(b)
  WHERE r.review_state = 'PENDING'
  RETURN a, r, b
}
WITH a, b, r,
     CASE WHEN a:Table THEN a ELSE head([(t:Table)-[:HAS_FIELD]->(a) | t]) END AS up_table,
     CASE WHEN b:Table THEN b ELSE head([(t:Table)-[:HAS_FIELD]->(b) | t]) END AS down_table
WHERE ($level IS NULL OR r.level = $level)
  AND r.confidence >= $min_confidence AND r.confidence <= $max_confidence
  AND ($source_id IS NULL OR up_table.source_key = $source_id OR down_table.source_key = $source_id)
  AND ($table_id IS NULL OR up_table.id = $table_id OR down_table.id = $table_id)
WITH r, a, b
ORDER BY r.confidence, r.id
WITH collect(r {.*, upstream_id: a.id, downstream_id: b.id}) AS edges
RETURN size(edges) AS total,
       size([e IN edges WHERE e.level = 'TABLE']) AS table_edges,
       size([e IN edges WHERE e.level = 'FIELD']) AS field_edges,
       [e IN edges WHERE $after_confidence IS NULL
                      OR e.confidence > $after_confidence
                      OR (e.confidence = $after_confidence AND e.id > $after_id)][..$limit] AS page
