// The review queue narrowed to a table ($table_id), a source ($source_id) or an origin
// ($origin_id): the pending edges at its tables and their fields, or those the origin asserts
// (through its indexed assertions), read through those nodes (never the rest of the queue),
// counted, then paged lowest confidence first, then by id, after the cursor.
CALL () {
  WITH 1 AS one WHERE $origin_id IS NULL
  CALL () {
    MATCH (t:Table {id: $table_id})
    RETURN t
    UNION
    MATCH (t:Table)
    WHERE $table_id IS NULL AND t.source_key = $source_id AND t.qualified_name IS NOT NULL
    RETURN t
  }
  CALL (t) {
    MATCH (t)-[r:FLOWS_TO {review_state: 'PENDING'}]-()
    RETURN r
    UNION
    MATCH (t)-[:HAS_FIELD]->(:Field)-[r:FLOWS_TO {review_state: 'PENDING'}]-()
    RETURN r
  }
  RETURN r
  UNION
  WITH 1 AS one WHERE $origin_id IS NOT NULL
  MATCH (s:Assertion {origin_id: $origin_id})
  MATCH ()-[r:FLOWS_TO {id: s.edge_id}]->()
  WHERE r.review_state = 'PENDING'
  RETURN r
}
WITH DISTINCT r
MATCH (a)-[r]->(b)
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
