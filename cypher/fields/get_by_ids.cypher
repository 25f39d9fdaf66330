UNWIND $ids AS id
MATCH (f:Field {id: id})
RETURN f {.*} AS field
