// A page of tables for an export, by qualified name then id (keyset pagination). The lower
// bound on qualified_name is what lets the planner seek the range index and read it in order
// (a PartialTop stops after $limit rows); `$after_name IS NULL OR ...` alone forces a label
// scan and a sort of every table for every page.
MATCH (t:Table)
WHERE t.qualified_name >= coalesce($after_name, "")
  AND ($source_keys IS NULL OR t.source_key IN $source_keys)
  AND all(tag IN $tags WHERE tag IN t.tags)
  AND ($tables IS NULL OR t.id IN $tables OR t.qualified_name IN $tables)
  AND ($after_name IS NULL OR t.qualified_name > $after_name OR t.id > $after_id)
WITH t
ORDER BY t.qualified_name, t.id
LIMIT $limit
OPTIONAL MATCH (s:Source {id: t.source_key})
RETURN t {.id, .name, .schema, .qualified_name, .kind, .description, .tags,
          created_at: toString(t.created_at), updated_at: toString(t.updated_at)} AS table,
       s.name AS source, s.id AS source_id
ORDER BY table.qualified_name, table.id
