// Returns no row when $source_id names no source, so nothing is created.
OPTIONAL MATCH (s:Source {id: $source_id})
WITH s, datetime() AS now
WHERE $source_id IS NULL OR s IS NOT NULL
CREATE (t:Table)
SET t = $props,
    t.id = randomUUID(),
    t.source_key = coalesce(s.id, 'manual'),
    t.created_at = now,
    t.updated_at = now
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | CREATE (s)-[:CONTAINS]->(t))
RETURN t {.*} AS table
