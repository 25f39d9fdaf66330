// What a scan leaves on each table it wrote or compared, after its writes: the fingerprint of
// what it owns and the table's version (see stored_tables). Bookkeeping, not a change: no
// updated_at, no audit entry.
UNWIND $rows AS row
MATCH (t:Table {id: row.id})
CALL (t) {
  OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
  WITH count(f) AS fields, sum(f.updated_at.epochMillis) AS millis
  RETURN toString(fields) + ':' + toString(millis + t.updated_at.epochMillis) AS version
}
SET t.scan_fingerprint = row.fingerprint, t.scan_version = version
