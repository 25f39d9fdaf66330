// The catalog's tables of a source by qualified name, each with its fields: what one batch of a
// scan compares the database with.
UNWIND $names AS name
MATCH (t:Table {source_key: $source_id, qualified_name: name})
OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
WITH t, f
ORDER BY f.ordinal_position, f.name
RETURN t {.*} AS table, collect(f {.*}) AS fields
