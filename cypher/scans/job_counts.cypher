// How many scan jobs are in each state (for /metrics).
MATCH (j:ScanJob)
RETURN j.status AS status, count(*) AS jobs
