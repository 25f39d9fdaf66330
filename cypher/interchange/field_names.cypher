// Field names of each table, for "Did you mean ...?" suggestions.
UNWIND $table_ids AS table_id
MATCH (:Table {id: table_id})-[:HAS_FIELD]->(f:Field)
RETURN table_id, collect(f.name) AS names
