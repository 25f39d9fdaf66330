// As tables/list, restricted to tables whose name or description matches a full-text query.
CALL db.index.fulltext.queryNodes('catalog_search', $text) YIELD node AS t
WITH t
WHERE t:Table
  AND ($source_key IS NULL OR t.source_key = $source_key)
  AND ($kind IS NULL OR t.kind = $kind)
  AND ($schema IS NULL OR t.schema = $schema)
  AND all(tag IN $tags WHERE tag IN t.tags)
  AND ($after_name IS NULL
       OR t.qualified_name > $after_name
       OR (t.qualified_name = $after_name AND t.id > $after_id))
RETURN t {.*} AS table
ORDER BY t.qualified_name, t.id
LIMIT $limit
