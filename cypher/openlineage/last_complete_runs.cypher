// The newest completed run of each of these jobs.
UNWIND $job_keys AS job_key
MATCH (e:OpenLineageEvent {job_key: job_key})
WHERE e.event_type = 'COMPLETE'
WITH job_key, e ORDER BY e.event_time DESC
WITH job_key, collect(e.run_id)[0] AS run_id
RETURN job_key, run_id
