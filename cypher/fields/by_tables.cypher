UNWIND $table_ids AS table_id
MATCH (:Table {id: table_id})-[:HAS_FIELD]->(f:Field)
WITH table_id, f
ORDER BY f.ordinal_position, f.name
RETURN table_id, collect(f {.*}) AS fields
