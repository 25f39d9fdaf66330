MATCH (t:Table)
WHERE ($source_key IS NULL OR t.source_key = $source_key)
  AND ($kind IS NULL OR t.kind = $kind)
  AND ($schema IS NULL OR t.schema = $schema)
  AND all(tag IN $tags WHERE tag IN t.tags)
RETURN count(t) AS total
