// A source's scans, newest first.
MATCH (j:ScanJob {source_id: $source_id})
RETURN j {.*} AS job
ORDER BY j.created_at DESC
LIMIT $limit
