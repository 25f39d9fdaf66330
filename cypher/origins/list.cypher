// Origins, most recently ingested first, with how many edges each asserts and how many of
// those wait for review.
MATCH (o:Origin)
WHERE $kind IS NULL OR o.kind = $kind
CALL (o) {
  MATCH (s:Assertion {origin_id: o.id})
  OPTIONAL MATCH ()-[r:FLOWS_TO {id: s.edge_id}]->()
  RETURN count(s) AS asserted, count(CASE WHEN r.review_state = 'PENDING' THEN 1 END) AS pending
}
RETURN o {.*} AS origin, asserted, pending
ORDER BY coalesce(o.last_ingested_at, o.created_at) DESC, o.id
LIMIT $limit
