// The catalog's tables of a source in the scanned namespaces (a table without a schema is in
// the namespace ''): the candidates for "missing from the source".
MATCH (t:Table {source_key: $source_id})
WHERE coalesce(t.schema, '') IN $schemas
RETURN t {.*} AS table
ORDER BY t.qualified_name
