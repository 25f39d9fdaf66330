// Keeps each table edge implied by field edges in step with them: created when the first
// live (not rejected) field edge appears, summarising their best provenance and confidence,
// and removed when none is left. Table edges someone declared themselves are left alone.
UNWIND $pairs AS pair
MATCH (a:Table {id: pair.upstream_id}), (b:Table {id: pair.downstream_id})
CALL (a, b) {
  OPTIONAL MATCH (a)-[:HAS_FIELD]->(:Field)-[fe:FLOWS_TO]->(:Field)<-[:HAS_FIELD]-(b)
  WHERE fe.review_state <> 'REJECTED'
  RETURN count(fe) AS live,
         max(CASE fe.lineage_source WHEN 'APPROVED' THEN 3 WHEN 'MANUAL' THEN 2 ELSE 1 END) AS rank,
         max(fe.confidence) AS confidence
}
OPTIONAL MATCH (a)-[te:FLOWS_TO]->(b)
WITH pair, a, b, live, rank, confidence, te,
     ['INFERRED', 'MANUAL', 'APPROVED'][coalesce(rank, 1) - 1] AS provenance
WITH pair, a, b, live, confidence, te, provenance,
     CASE
       WHEN te IS NULL AND live > 0 THEN 'CREATE'
       WHEN te IS NOT NULL AND NOT coalesce(te.explicit, true) AND live = 0 THEN 'DELETE'
       // A steward's verdict on an implied edge stands: its provenance and review state are
       // only recomputed while nobody has reviewed it.
       WHEN te IS NOT NULL AND NOT coalesce(te.explicit, true)
            AND NOT te.review_state IN ['APPROVED', 'REJECTED']
            AND (te.lineage_source <> provenance OR te.confidence <> confidence) THEN 'UPDATE'
       ELSE 'NONE'
     END AS action
WITH pair, a, b, confidence, te, provenance, action,
     te {.*, upstream_id: a.id, downstream_id: b.id} AS before
FOREACH (_ IN CASE WHEN action = 'CREATE' THEN [1] ELSE [] END |
  CREATE (a)-[:FLOWS_TO {
    id: pair.new_id, level: 'TABLE', explicit: false, lineage_source: provenance,
    confidence: confidence, transformation_type: 'DIRECT',
    review_state: CASE provenance WHEN 'APPROVED' THEN 'APPROVED' WHEN 'MANUAL' THEN 'NOT_REQUIRED' ELSE 'PENDING' END,
    description: 'Implied by field lineage', created_by: $actor,
    created_at: datetime(), updated_at: datetime()}]->(b))
FOREACH (_ IN CASE WHEN action = 'DELETE' THEN [1] ELSE [] END | DELETE te)
FOREACH (_ IN CASE WHEN action = 'UPDATE' THEN [1] ELSE [] END |
  SET te.lineage_source = provenance, te.confidence = confidence,
      te.review_state = CASE provenance WHEN 'APPROVED' THEN 'APPROVED' WHEN 'MANUAL' THEN 'NOT_REQUIRED' ELSE 'PENDING' END,
      te.updated_at = datetime())
RETURN action, CASE action WHEN 'CREATE' THEN pair.new_id ELSE before.id END AS id,
       before, provenance, confidence,
       pair.upstream_id AS upstream_id, pair.downstream_id AS downstream_id
