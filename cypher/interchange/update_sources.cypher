UNWIND $rows AS row
MATCH (s:Source {id: row.id})
SET s += row.props, s.updated_at = datetime()
