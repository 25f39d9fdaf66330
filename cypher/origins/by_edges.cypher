// The assertions of the given edges, each with its origin.
UNWIND $edge_ids AS edge_id
MATCH (s:Assertion {edge_id: edge_id})
MATCH (o:Origin {id: s.origin_id})
RETURN s {.*} AS assertion, o {.*} AS origin
ORDER BY edge_id, o.kind, o.key
