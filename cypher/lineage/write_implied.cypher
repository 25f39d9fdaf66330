// Creates, updates or deletes implied table edges as the lineage rules decided
// (see lineage/implied_beneath). Table edges someone declared are never touched. Returns each
// pair's edge as it was (read under its lock) and as it is, for the review queue's counters.
UNWIND $rows AS row
MATCH (a:Table {id: row.upstream_id}), (b:Table {id: row.downstream_id})
OPTIONAL MATCH (a)-[te:FLOWS_TO]->(b)
SET te._lock = true
REMOVE te._lock
WITH row, a, b, te, te {.id, .level, .confidence, .review_state} AS before
FOREACH (_ IN CASE WHEN row.action = 'CREATE' AND te IS NULL THEN [1] ELSE [] END |
  CREATE (a)-[r:FLOWS_TO]->(b)
  SET r = row.props, r.created_by = $actor, r.created_at = datetime(), r.updated_at = datetime())
FOREACH (_ IN CASE WHEN row.action = 'UPDATE' AND NOT coalesce(te.explicit, true) THEN [1] ELSE [] END |
  SET te += row.props, te.updated_at = datetime())
FOREACH (_ IN CASE WHEN row.action = 'DELETE' AND NOT coalesce(te.explicit, true) THEN [1] ELSE [] END |
  DELETE te)
WITH row, a, b, before
OPTIONAL MATCH (a)-[now:FLOWS_TO]->(b)
RETURN before, now {.id, .level, .confidence, .review_state} AS after
