// How many edges passing the filters each node has upstream and downstream; lineageGraph
// compares them with the edges it drew to tell, per direction, where more lineage lies.
UNWIND $ids AS id
MATCH (n:__NODE__ {id: id})
RETURN id,
       COUNT { MATCH (n)<-[r:FLOWS_TO]-(:__NODE__)
               WHERE ($include_rejected OR r.review_state <> 'REJECTED')
                 AND r.confidence >= $min_confidence
                 AND ($provenance IS NULL OR r.lineage_source IN $provenance) } AS upstream,
       COUNT { MATCH (n)-[r:FLOWS_TO]->(:__NODE__)
               WHERE ($include_rejected OR r.review_state <> 'REJECTED')
                 AND r.confidence >= $min_confidence
                 AND ($provenance IS NULL OR r.lineage_source IN $provenance) } AS downstream
