// Finished import jobs older than the retention period go (each holds a report of up to a few
// hundred KB); a bounded number at a time, so no single import pays for a long backlog.
MATCH (j:ImportJob)
WHERE j.finished_at < datetime() - duration({days: $days})
WITH j LIMIT 500
DETACH DELETE j
RETURN count(*) AS pruned
