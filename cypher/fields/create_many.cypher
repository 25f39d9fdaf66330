// Creates all fields of one table in one statement; no row back when the table is missing.
MATCH (t:Table {id: $table_id})
WITH t, datetime() AS now
SET t.updated_at = now
WITH t, now
UNWIND $fields AS props
CREATE (t)-[:HAS_FIELD]->(f:Field)
SET f = props,
    f.id = randomUUID(),
    f.table_id = t.id,
    f.created_at = now,
    f.updated_at = now
RETURN f {.*} AS field
