// Lineage edges created by an import, keeping their ids; created and changed now (review details as the rules decide).
// Returns what it created, for the review queue's counters.
UNWIND $rows AS row
MATCH (a:__NODE__ {id: row.upstream_id}), (b:__NODE__ {id: row.downstream_id})
// The ends are locked first; an edge someone added since the import was planned wins.
WHERE NOT EXISTS { (a)-[:FLOWS_TO]->(b) }
CREATE (a)-[r:FLOWS_TO]->(b)
SET r = row.props,
    r.id = row.id,
    r.reviewed_at = CASE WHEN row.reviewed_now THEN datetime() ELSE datetime(row.reviewed_at) END,
    r.created_at = datetime(),
    r.updated_at = datetime()
RETURN count(r) AS created, collect(r {.id, .level, .confidence, .review_state}) AS edges
