// Per origin: how many edges it asserts, and how many of those wait for a steward.
UNWIND $ids AS id
OPTIONAL MATCH (s:Assertion {origin_id: id})
OPTIONAL MATCH ()-[r:FLOWS_TO {id: s.edge_id}]->()
RETURN id, count(r) AS asserted, count(CASE WHEN r.review_state = 'PENDING' THEN 1 END) AS pending
