// Qualified names of the tables of each source key, for "Did you mean ...?" suggestions.
UNWIND $source_keys AS source_key
CALL (source_key) {
  MATCH (t:Table {source_key: source_key})
  RETURN t.qualified_name AS name
  LIMIT $limit
}
RETURN source_key, collect(name) AS names
