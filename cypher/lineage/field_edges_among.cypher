// Field edges whose two fields both belong to the given tables (for graphs with fields),
// with only what a graph edge shows.
MATCH (a:Table)-[:HAS_FIELD]->(f:Field)-[r:FLOWS_TO]->(g:Field)<-[:HAS_FIELD]-(b:Table)
WHERE a.id IN $table_ids AND b.id IN $table_ids
  AND ($include_rejected OR r.review_state <> 'REJECTED')
  AND r.confidence >= $min_confidence
  AND ($provenance IS NULL OR r.lineage_source IN $provenance)
RETURN r {.id, .level, .lineage_source, .confidence, .transformation_type, .review_state,
          .explicit, upstream_id: f.id, downstream_id: g.id} AS edge
