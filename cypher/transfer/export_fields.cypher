// The fields of a page of tables for an export (same filters and order as export_tables).
MATCH (t:Table)
WHERE ($source_keys IS NULL OR t.source_key IN $source_keys)
  AND all(tag IN $tags WHERE tag IN t.tags)
  AND ($tables IS NULL OR t.id IN $tables OR t.qualified_name IN $tables)
  AND ($after_name IS NULL
       OR t.qualified_name > $after_name
       OR (t.qualified_name = $after_name AND t.id > $after_id))
WITH t
ORDER BY t.qualified_name, t.id
LIMIT $limit
OPTIONAL MATCH (s:Source {id: t.source_key})
CALL (t) {
  OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
  WITH f
  ORDER BY f.ordinal_position, f.name
  RETURN collect(f {.id, .name, .data_type, .nullable, .primary_key, .ordinal_position,
                    .description, .tags, created_at: toString(f.created_at),
                    updated_at: toString(f.updated_at)}) AS fields
}
RETURN t.id AS table_id, t.name AS table, t.schema AS schema, t.qualified_name AS qualified_name,
       s.name AS source, fields
ORDER BY qualified_name, table_id
