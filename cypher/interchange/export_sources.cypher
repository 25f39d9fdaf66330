// A page of sources for an export, by name. Only the format's columns: connection settings and
// secrets never leave the catalog. With table filters, only sources of matching tables. The
// lower bound on the name lets the planner seek the name index in order (see export_tables).
MATCH (s:Source)
WHERE s.name >= coalesce($after, "")
  AND ($after IS NULL OR s.name > $after)
  AND ($source_ids IS NULL OR s.id IN $source_ids)
  AND (NOT $table_filter OR EXISTS {
    MATCH (s)-[:CONTAINS]->(t:Table)
    WHERE all(tag IN $tags WHERE tag IN t.tags)
      AND ($tables IS NULL OR t.id IN $tables OR t.qualified_name IN $tables)
  })
RETURN s {.id, .name, .type, .description, .active,
          created_at: toString(s.created_at), updated_at: toString(s.updated_at)} AS source
ORDER BY s.name
LIMIT $limit
