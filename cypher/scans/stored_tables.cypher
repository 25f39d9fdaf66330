// The catalog's tables of a source by qualified name, for one batch of a scan. A table still
// as the scan left it comes back as its id alone: the fingerprint the scan wrote on it equals
// the one given, and its version (how many fields it has and when each of them and the table
// were last written, summed) is the one the scan saw after writing it. Every writer of a table
// or field sets updated_at, and adding or deleting a field changes the count, so any other
// writer's change shows. Any other table comes back whole, with its fields, to be compared
// attribute by attribute.
UNWIND $tables AS row
MATCH (t:Table {source_key: $source_id, qualified_name: row.name})
CALL (t, row) {
  OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
  WITH count(f) AS fields, sum(f.updated_at.epochMillis) AS millis
  RETURN coalesce(
    t.scan_fingerprint = row.fingerprint
      AND t.missing_since IS NULL
      AND t.scan_version = toString(fields) + ':' + toString(millis + t.updated_at.epochMillis),
    false
  ) AS same
}
CALL (t, same) {
  WITH t, same
  WHERE NOT same
  OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
  WITH f
  ORDER BY f.ordinal_position, f.name
  RETURN collect(f {.*}) AS fields
}
RETURN t.id AS id, row.name AS name, CASE WHEN same THEN null ELSE t {.*} END AS table, fields
