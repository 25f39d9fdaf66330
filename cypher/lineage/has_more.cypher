// Which of the given nodes have neighbours in the given direction (for frontier marking).
UNWIND $ids AS id
MATCH (n:__NODE__ {id: id})
WHERE CASE $direction
        WHEN 'DOWNSTREAM' THEN EXISTS { (n)-[r:FLOWS_TO]->(:__NODE__) WHERE $include_rejected OR r.review_state <> 'REJECTED' }
        ELSE EXISTS { (n)<-[r:FLOWS_TO]-(:__NODE__) WHERE $include_rejected OR r.review_state <> 'REJECTED' }
      END
RETURN id
