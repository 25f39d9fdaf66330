// A page of fields for an export, in the tables' order (qualified name, id; same filters as
// export_tables), then by position and name within a table. The page is a number of fields,
// not of tables, so a page stays small however wide the tables are; the key of the last field
// (table qualified name and id, position, name) is where the next page starts. A missing
// position sorts last, as it always has. See export_tables for why the lower bound is there.
MATCH (t:Table)
WHERE t.qualified_name >= coalesce($after_name, "")
  AND ($source_keys IS NULL OR t.source_key IN $source_keys)
  AND all(tag IN $tags WHERE tag IN t.tags)
  AND ($tables IS NULL OR t.id IN $tables OR t.qualified_name IN $tables)
  AND ($after_name IS NULL OR t.qualified_name > $after_name OR t.id >= $after_id)
CALL (t) {
  MATCH (t)-[:HAS_FIELD]->(f:Field)
  WITH f, coalesce(f.ordinal_position, 9223372036854775807) AS ordinal
  WHERE $after_name IS NULL OR t.qualified_name > $after_name OR t.id > $after_id
     OR ordinal > $after_ordinal
     OR (ordinal = $after_ordinal AND f.name > $after_field)
  RETURN f, ordinal
}
WITH t, f, ordinal
ORDER BY t.qualified_name, t.id, ordinal, f.name
LIMIT $limit
OPTIONAL MATCH (s:Source {id: t.source_key})
RETURN f {.id, .name, .data_type, .nullable, .primary_key, .ordinal_position, .description,
          .tags, created_at: toString(f.created_at), updated_at: toString(f.updated_at)} AS field,
       ordinal, t.id AS table_id, t.name AS table, t.schema AS schema,
       t.qualified_name AS qualified_name, s.name AS source
ORDER BY qualified_name, table_id, ordinal, field.name
