// What a scan leaves on each table it wrote or compared, after its writes: the fingerprint of
// what it owns and the table's version (see stored_tables). The version is left only when
// the table is as this batch read it plus its own writes: the fields it kept (neither
// written nor deleted since), the table unless it wrote it, and no field added meanwhile;
// otherwise the next scan compares the table again. Bookkeeping, not a change: no
// updated_at, no audit entry.
UNWIND $rows AS row
MATCH (t:Table {id: row.id})
CALL (t, row) {
  OPTIONAL MATCH (t)-[:HAS_FIELD]->(f:Field)
  WITH count(f) AS fields,
       sum(f.updated_at.epochMillis) AS millis,
       count(CASE WHEN f.id IN row.kept THEN 1 END) AS kept,
       sum(CASE WHEN f.id IN row.kept THEN f.updated_at.epochMillis ELSE 0 END) AS kept_millis
  RETURN CASE
    WHEN fields = row.fields
      AND kept = size(row.kept)
      AND kept_millis
        + CASE WHEN row.table_written THEN 0 ELSE t.updated_at.epochMillis END = row.kept_millis
    THEN toString(fields) + ':' + toString(millis + t.updated_at.epochMillis)
  END AS version
}
SET t.scan_fingerprint = row.fingerprint, t.scan_version = version
