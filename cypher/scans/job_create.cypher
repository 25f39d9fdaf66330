// A scan job: what was asked, and (as it runs) its progress and report.
CREATE (j:ScanJob)
SET j = $props,
    j.created_at = datetime(),
    j.heartbeat_at = datetime()
RETURN j {.*} AS job
