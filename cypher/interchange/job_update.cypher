// Progress, status and (at the end) the report of an import job; also its heartbeat. Once a
// job has finished (an import writes its final status in its own transaction), only an update
// that says so may touch it: a late progress tick or a failure after the commit cannot undo it.
MATCH (j:ImportJob {id: $id})
// Lock first (see job_interrupt): the filter must see a final status committed meanwhile.
SET j.heartbeat_at = j.heartbeat_at
WITH j
WHERE j.finished_at IS NULL OR NOT $unless_finished
SET j += $props,
    j.heartbeat_at = datetime(),
    j.started_at = CASE WHEN $started THEN datetime() ELSE j.started_at END,
    j.finished_at = CASE WHEN $finished THEN datetime() ELSE j.finished_at END
RETURN j {.*} AS job
