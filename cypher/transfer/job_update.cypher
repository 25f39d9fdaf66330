// Progress, status and (at the end) the report of an import job; also its heartbeat.
MATCH (j:ImportJob {id: $id})
SET j += $props,
    j.heartbeat_at = datetime(),
    j.started_at = CASE WHEN $started THEN datetime() ELSE j.started_at END,
    j.finished_at = CASE WHEN $finished THEN datetime() ELSE j.finished_at END
RETURN j {.*} AS job
