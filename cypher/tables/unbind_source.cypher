MATCH (t:Table {id: $table_id})
OPTIONAL MATCH (:Source)-[old:CONTAINS]->(t)
DELETE old
WITH DISTINCT t
SET t.source_key = 'manual', t.updated_at = datetime()
RETURN t {.*} AS table
