// One breadth-first step upstream from many nodes at once.
UNWIND $ids AS id
MATCH (n:__NODE__ {id: id})<-[r:FLOWS_TO]-(m:__NODE__)
WHERE ($include_rejected OR r.review_state <> 'REJECTED')
  AND r.confidence >= $min_confidence
  AND ($provenance IS NULL OR r.lineage_source IN $provenance)
RETURN id AS from_id, m.id AS to_id, r {.*, upstream_id: m.id, downstream_id: n.id} AS edge
