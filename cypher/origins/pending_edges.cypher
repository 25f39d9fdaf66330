// The ids of the edges one origin asserts that wait for a steward.
MATCH (s:Assertion {origin_id: $origin_id})
MATCH ()-[r:FLOWS_TO {id: s.edge_id}]->()
WHERE r.review_state = 'PENDING'
RETURN r.id AS id
ORDER BY id
