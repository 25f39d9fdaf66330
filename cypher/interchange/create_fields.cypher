// Fields created by an import or a scan, keeping their ids; created and changed now. Rows come
// grouped by table (one lookup per table, not per field), each field's props without nulls.
UNWIND $rows AS batch
MATCH (t:Table {id: batch.table_id})
WITH t, batch, datetime() AS now
UNWIND batch.fields AS row
CREATE (t)-[:HAS_FIELD]->(f:Field)
SET f = row.props,
    f.id = row.id,
    f.table_id = t.id,
    f.created_at = now,
    f.updated_at = now
