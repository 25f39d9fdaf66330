// A job whose process stopped (no heartbeat for a while) is marked INTERRUPTED; its
// transaction was rolled back by Neo4j when the connection went, so nothing was written.
MATCH (j:ImportJob {id: $id})
WHERE j.status IN ['QUEUED', 'RUNNING']
  AND j.heartbeat_at < datetime() - duration({seconds: $stale_seconds})
SET j.status = 'INTERRUPTED',
    j.failure = $failure,
    j.rows_written = 0,
    j.finished_at = datetime()
RETURN j {.*} AS job
