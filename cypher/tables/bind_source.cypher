// Moves a table under a source; returns no row when either is missing.
MATCH (t:Table {id: $table_id})
MATCH (s:Source {id: $source_id})
OPTIONAL MATCH (:Source)-[old:CONTAINS]->(t)
DELETE old
WITH DISTINCT t, s
CREATE (s)-[:CONTAINS]->(t)
SET t.source_key = s.id, t.updated_at = datetime()
RETURN t {.*} AS table
