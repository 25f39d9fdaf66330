// The highest ordinal position in use in each table, so imported fields without one go last.
UNWIND $table_ids AS table_id
MATCH (:Table {id: table_id})-[:HAS_FIELD]->(f:Field)
RETURN table_id, max(f.ordinal_position) AS last_ordinal
