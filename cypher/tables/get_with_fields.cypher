// Tables with their fields, for a request that asks for both: one statement instead of two.
UNWIND $ids AS id
MATCH (t:Table {id: id})
RETURN t {.*} AS table,
       COLLECT { MATCH (t)-[:HAS_FIELD]->(f:Field)
                 RETURN f {.*} ORDER BY f.ordinal_position, f.name } AS fields
