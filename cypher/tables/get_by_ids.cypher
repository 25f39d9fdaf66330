UNWIND $ids AS id
MATCH (t:Table {id: id})
RETURN t {.*} AS table
