// An origin no longer asserts these edges; returns, per edge, whether any origin still does.
UNWIND $edge_ids AS edge_id
MATCH (s:Assertion {origin_id: $origin_id, edge_id: edge_id})
DELETE s
WITH DISTINCT edge_id
RETURN edge_id, EXISTS { MATCH (:Assertion {edge_id: edge_id}) } AS still_asserted
