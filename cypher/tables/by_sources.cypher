// The first $limit tables of each source, for Source.tables.
UNWIND $source_ids AS source_id
CALL (source_id) {
  MATCH (t:Table {source_key: source_id})
  RETURN t
  ORDER BY t.qualified_name, t.id
  LIMIT $limit
}
RETURN source_id, collect(t {.*}) AS tables
