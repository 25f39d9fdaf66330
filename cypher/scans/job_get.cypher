MATCH (j:ScanJob {id: $id})
RETURN j {.*} AS job
