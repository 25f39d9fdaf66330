// The catalog's tables of a source in the scanned namespaces (a table without a schema is in
// the namespace '') that the scan did not see and that are not marked missing yet: the
// candidates for "missing from the source".
MATCH (t:Table {source_key: $source_id})
WHERE coalesce(t.schema, '') IN $schemas AND t.missing_since IS NULL
  AND NOT t.qualified_name IN $seen
RETURN t {.*} AS table
ORDER BY t.qualified_name
