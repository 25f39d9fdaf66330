// Fields created by an import, keeping their ids; created and changed now.
UNWIND $rows AS row
MATCH (t:Table {id: row.table_id})
CREATE (t)-[:HAS_FIELD]->(f:Field)
SET f = row.props,
    f.id = row.id,
    f.table_id = t.id,
    f.created_at = datetime(),
    f.updated_at = datetime()
