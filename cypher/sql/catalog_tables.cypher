// The tables a SQL text names (matched by name without regard to case: $names in lower case,
// through the name_lower index), each with its fields in order, for the SQL parser; with
// $source_key, that source's tables only.
MATCH (t:Table)
WHERE t.name_lower IN $names AND ($source_key IS NULL OR t.source_key = $source_key)
CALL (t) {
  OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
  WITH f ORDER BY f.ordinal_position, f.name
  RETURN collect(f {.id, .name, .data_type}) AS fields
}
RETURN t {.id, .schema, .name} AS table, fields
LIMIT 10000
