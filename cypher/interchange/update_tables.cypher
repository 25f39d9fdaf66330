// Tables changed by an import; `rebind` moves a table to another source (or makes it manual).
UNWIND $rows AS row
MATCH (t:Table {id: row.id})
SET t += row.props, t.updated_at = datetime()
WITH t, row
WHERE row.rebind
OPTIONAL MATCH (:Source)-[old:CONTAINS]->(t)
DELETE old
WITH DISTINCT t, row
OPTIONAL MATCH (s:Source {id: row.source_id})
SET t.source_key = coalesce(s.id, 'manual')
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | CREATE (s)-[:CONTAINS]->(t))
