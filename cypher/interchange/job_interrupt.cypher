// A job whose process stopped (no heartbeat for a while) is marked INTERRUPTED; its
// transaction was rolled back by Neo4j when the connection went, so nothing was written.
MATCH (j:ImportJob {id: $id})
// Lock the job before filtering: a WHERE checked before the lock is taken would miss a final
// status an import is committing at this very moment.
SET j.heartbeat_at = j.heartbeat_at
WITH j
WHERE j.status IN ['QUEUED', 'RUNNING']
  AND j.heartbeat_at < datetime() - duration({seconds: $stale_seconds})
SET j.status = 'INTERRUPTED',
    j.failure = $failure,
    j.rows_written = 0,
    j.finished_at = datetime()
RETURN j {.*} AS job
