// Which of the given nodes have neighbours, in the given direction, that pass the filters.
UNWIND $ids AS id
MATCH (n:__NODE__ {id: id})
WHERE CASE $direction
  WHEN 'DOWNSTREAM' THEN EXISTS {
    MATCH (n)-[r:FLOWS_TO]->(:__NODE__)
    WHERE ($include_rejected OR r.review_state <> 'REJECTED') AND r.confidence >= $min_confidence
      AND ($provenance IS NULL OR r.lineage_source IN $provenance)
  }
  ELSE EXISTS {
    MATCH (n)<-[r:FLOWS_TO]-(:__NODE__)
    WHERE ($include_rejected OR r.review_state <> 'REJECTED') AND r.confidence >= $min_confidence
      AND ($provenance IS NULL OR r.lineage_source IN $provenance)
  }
END
RETURN id
