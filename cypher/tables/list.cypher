// Keyset pagination: rows after the cursor (qualified_name, id), one extra to tell if more follow.
MATCH (t:Table)
WHERE ($source_key IS NULL OR t.source_key = $source_key)
  AND ($kind IS NULL OR t.kind = $kind)
  AND ($schema IS NULL OR t.schema = $schema)
  AND all(tag IN $tags WHERE tag IN t.tags)
  AND ($after_name IS NULL
       OR t.qualified_name > $after_name
       OR (t.qualified_name = $after_name AND t.id > $after_id))
RETURN t {.*} AS table
ORDER BY t.qualified_name, t.id
LIMIT $limit
