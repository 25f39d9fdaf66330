// A page of table lineage for an export, by edge id. With filters, edges touching a matching
// table (at either end).
MATCH (a:Table)-[r:FLOWS_TO]->(b:Table)
WHERE r.id > coalesce($after, "")
  AND (NOT $filtered
       OR (($source_keys IS NULL OR a.source_key IN $source_keys)
           AND all(tag IN $tags WHERE tag IN a.tags)
           AND ($tables IS NULL OR a.id IN $tables OR a.qualified_name IN $tables))
       OR (($source_keys IS NULL OR b.source_key IN $source_keys)
           AND all(tag IN $tags WHERE tag IN b.tags)
           AND ($tables IS NULL OR b.id IN $tables OR b.qualified_name IN $tables)))
WITH a, r, b
ORDER BY r.id
LIMIT $limit
OPTIONAL MATCH (sa:Source {id: a.source_key})
OPTIONAL MATCH (sb:Source {id: b.source_key})
RETURN r {.*, created_at: toString(r.created_at), updated_at: toString(r.updated_at),
          reviewed_at: toString(r.reviewed_at)} AS edge,
       a.id AS upstream_id, sa.name AS upstream_source, a.schema AS upstream_schema,
       a.name AS upstream_table,
       b.id AS downstream_id, sb.name AS downstream_source, b.schema AS downstream_schema,
       b.name AS downstream_table
ORDER BY edge.id
