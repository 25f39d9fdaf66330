// Progress, status and (at the end) the report of a scan job; also its heartbeat. Once the
// job has finished, only an update that says so may touch it (a late progress tick cannot).
MATCH (j:ScanJob {id: $id})
// Lock first (see job_interrupt): the filter must see a final status committed meanwhile.
SET j.heartbeat_at = j.heartbeat_at
WITH j
WHERE j.finished_at IS NULL OR NOT $unless_finished
SET j += $props,
    j.heartbeat_at = datetime(),
    j.started_at = CASE WHEN $started THEN datetime() ELSE j.started_at END,
    j.finished_at = CASE WHEN $finished THEN datetime() ELSE j.finished_at END
RETURN j {.*} AS job
