// For each pair of tables: the table edge between them (if any) and the field edges beneath
// it, grouped by what the lineage rules summarise (provenance, transformation, review state)
// with the highest confidence of each group. graph_api/lineage_rules.py decides the rest.
UNWIND $pairs AS pair
MATCH (a:Table {id: pair.upstream_id}), (b:Table {id: pair.downstream_id})
CALL (a, b) {
  MATCH (a)-[:HAS_FIELD]->(:Field)-[fe:FLOWS_TO]->(:Field)<-[:HAS_FIELD]-(b)
  WITH fe.lineage_source AS source, fe.transformation_type AS transformation,
       fe.review_state AS review, max(fe.confidence) AS confidence
  RETURN collect({lineage_source: source, transformation_type: transformation,
                  review_state: review, confidence: confidence}) AS beneath
}
OPTIONAL MATCH (a)-[te:FLOWS_TO]->(b)
RETURN a.id AS upstream_id, b.id AS downstream_id, beneath,
       te {.*, upstream_id: a.id, downstream_id: b.id} AS edge
