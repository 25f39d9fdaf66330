// A scan whose process stopped (no heartbeat for a while) is marked INTERRUPTED: the batch it
// was writing was rolled back with its connection; the batches before it stay written.
MATCH (j:ScanJob {id: $id})
SET j.heartbeat_at = j.heartbeat_at
WITH j
WHERE j.status IN ['QUEUED', 'RUNNING']
  AND j.heartbeat_at < datetime() - duration({seconds: $stale_seconds})
SET j.status = 'INTERRUPTED',
    j.failure = $failure,
    j.failure_reason = 'SERVICE_RESTARTED',
    j.finished_at = datetime()
RETURN j {.*} AS job
