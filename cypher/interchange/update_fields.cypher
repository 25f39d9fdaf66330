UNWIND $rows AS row
MATCH (f:Field {id: row.id})
SET f += row.props, f.updated_at = datetime()
