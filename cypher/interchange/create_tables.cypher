// Tables created by an import, under their source (or manual), keeping their ids; created now.
UNWIND $rows AS row
OPTIONAL MATCH (s:Source {id: row.source_id})
CREATE (t:Table)
SET t = row.props,
    t.id = row.id,
    t.source_key = coalesce(s.id, 'manual'),
    t.created_at = datetime(),
    t.updated_at = datetime()
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | CREATE (s)-[:CONTAINS]->(t))
