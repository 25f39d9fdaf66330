// Each source's newest scan.
UNWIND $source_ids AS source_id
CALL (source_id) {
  MATCH (j:ScanJob {source_id: source_id})
  RETURN j
  ORDER BY j.created_at DESC
  LIMIT 1
}
RETURN source_id, j {.*} AS job
