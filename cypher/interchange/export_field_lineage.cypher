// A page of field lineage for an export, by edge id. With filters, edges touching a field of a
// matching table (at either end).
MATCH (a:Field)-[r:FLOWS_TO]->(b:Field)
WHERE r.id > coalesce($after, "")
MATCH (ta:Table {id: a.table_id}), (tb:Table {id: b.table_id})
WHERE NOT $filtered
   OR (($source_keys IS NULL OR ta.source_key IN $source_keys)
       AND all(tag IN $tags WHERE tag IN ta.tags)
       AND ($tables IS NULL OR ta.id IN $tables OR ta.qualified_name IN $tables))
   OR (($source_keys IS NULL OR tb.source_key IN $source_keys)
       AND all(tag IN $tags WHERE tag IN tb.tags)
       AND ($tables IS NULL OR tb.id IN $tables OR tb.qualified_name IN $tables))
WITH a, r, b, ta, tb
ORDER BY r.id
LIMIT $limit
OPTIONAL MATCH (sa:Source {id: ta.source_key})
OPTIONAL MATCH (sb:Source {id: tb.source_key})
RETURN r {.*, created_at: toString(r.created_at), updated_at: toString(r.updated_at),
          reviewed_at: toString(r.reviewed_at)} AS edge,
       a.id AS upstream_id, sa.name AS upstream_source, ta.schema AS upstream_schema,
       ta.name AS upstream_table, a.name AS upstream_field,
       b.id AS downstream_id, sb.name AS downstream_source, tb.schema AS downstream_schema,
       tb.name AS downstream_table, b.name AS downstream_field
ORDER BY edge.id
