MATCH (t:Table {id: $table_id})
OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
RETURN coalesce(max(f.ordinal_position), 0) AS last_ordinal, collect(f.name) AS names
